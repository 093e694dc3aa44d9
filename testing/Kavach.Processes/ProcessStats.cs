using System.Globalization;

namespace Kavach.Processes;

/// <summary>What Linux's /proc says about a process: resident memory, CPU time, open descriptors.</summary>
public static class ProcessStats
{
    /// <summary>VmRSS from /proc/&lt;pid&gt;/status, in bytes; null when the process is gone.</summary>
    public static long? ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>User + system CPU time of the process itself (utime + stime of /proc/&lt;pid&gt;/stat); zero when it is gone.</summary>
    public static TimeSpan CpuTime(int pid) => Read(pid) is { } stat ? stat.Cpu : TimeSpan.Zero;

    /// <summary>
    /// CPU time of the process and of its live children (PostgreSQL's backends are children of the postmaster):
    /// a delta over an interval in which no child exits is their work in that interval.
    /// </summary>
    public static TimeSpan CpuTimeWithChildren(int pid)
    {
        var total = CpuTime(pid);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && Read(child) is { } stat && stat.ParentPid == pid)
            {
                total += stat.Cpu;
            }
        }

        return total;
    }

    /// <summary>Entries of /proc/&lt;pid&gt;/fd (root or the owner can read them); null when unreadable.</summary>
    public static int? OpenFileDescriptors(int pid)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The soft limit on open files of a process (/proc/&lt;pid&gt;/limits).</summary>
    public static long? OpenFilesLimit(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 0 } && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Busy and total jiffies of the whole machine (/proc/stat's first line), for "how busy were the cores".</summary>
    public static (long Busy, long Total) MachineJiffies()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0); // idle + iowait
        var total = fields.Take(8).Sum(); // user nice system idle iowait irq softirq steal
        return (total - idle, total);
    }

    private sealed record Stat(int ParentPid, TimeSpan Cpu);

    private static Stat? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name, in parentheses, may hold spaces: the fields that follow start after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return new Stat(parent, TimeSpan.FromSeconds((double)ticks / Posix.ClockTicksPerSecond));
    }
}
