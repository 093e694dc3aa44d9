using System.Diagnostics;
using Kavach.Processes;

namespace Kavach.Benchmarks;

/// <summary>
/// CPU time of chosen processes over a stretch of wall time, from /proc (so it counts what the kernel saw, whoever
/// the process is), and how busy the whole machine was meanwhile. Read every 200 ms, so that a generator that has
/// already exited when the stretch is closed still counts with its last reading.
/// </summary>
public sealed class CpuMeter
{
    private readonly List<(string Name, int Pid, bool WithChildren, TimeSpan Start, bool IsGenerator)> _entries = [];
    private readonly Dictionary<int, TimeSpan> _last = [];
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly (long Busy, long Total) _machine = ProcessStats.MachineJiffies();
    private readonly CancellationTokenSource _stop = new();
    private Task? _sampling;

    public static CpuMeter Start(IEnumerable<(string Name, int Pid, bool WithChildren)> servers, IEnumerable<(string Name, int Pid)> generators)
    {
        var meter = new CpuMeter();
        foreach (var (name, pid, children) in servers.Where(s => s.Pid > 0))
        {
            meter._entries.Add((name, pid, children, Read(pid, children), false));
        }

        foreach (var (name, pid) in generators)
        {
            meter._entries.Add((name, pid, false, Read(pid, false), true));
        }

        meter._sampling = meter.SampleAsync();
        return meter;
    }

    public CpuReading Stop()
    {
        _stop.Cancel();
        _sampling?.Wait();
        Sample();
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var (busy, total) = ProcessStats.MachineJiffies();
        var machineBusy = total > _machine.Total ? (double)(busy - _machine.Busy) / (total - _machine.Total) * Environment.ProcessorCount : double.NaN;
        var used = _entries.Select(e => (e.Name, Seconds: Math.Max(0, (_last[e.Pid] - e.Start).TotalSeconds), e.IsGenerator)).ToList();
        return new CpuReading(seconds, machineBusy,
            [.. used.Where(u => !u.IsGenerator).Select(u => (u.Name, u.Seconds))],
            [.. used.Where(u => u.IsGenerator).Select(u => (u.Name, u.Seconds))]);
    }

    private async Task SampleAsync()
    {
        try
        {
            while (true)
            {
                Sample();
                await Task.Delay(200, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Keeps each process's highest reading: once it has exited, /proc has nothing more to say.</summary>
    private void Sample()
    {
        foreach (var (_, pid, withChildren, start, _) in _entries)
        {
            var now = Read(pid, withChildren);
            lock (_last)
            {
                _last[pid] = now > _last.GetValueOrDefault(pid, start) ? now : _last.GetValueOrDefault(pid, start);
            }
        }
    }

    private static TimeSpan Read(int pid, bool withChildren) =>
        withChildren ? ProcessStats.CpuTimeWithChildren(pid) : ProcessStats.CpuTime(pid);
}

/// <summary>CPU seconds per process over <see cref="WallSeconds"/>; <see cref="MachineCores"/> is how many cores were busy on average.</summary>
public sealed record CpuReading(
    double WallSeconds,
    double MachineCores,
    IReadOnlyList<(string Name, double Seconds)> Servers,
    IReadOnlyList<(string Name, double Seconds)> Generators)
{
    /// <summary>A generator that used this much of a core over the stretch may be what limits the figure.</summary>
    public const double BoundShare = 0.75;

    public double ServerCores => Servers.Sum(s => s.Seconds) / WallSeconds;

    public double MaxGeneratorShare => Generators.Count == 0 ? 0 : Generators.Max(g => g.Seconds) / WallSeconds;

    public double GeneratorCores => Generators.Sum(g => g.Seconds) / WallSeconds;

    public double Seconds(string name) => Servers.Concat(Generators).Where(s => s.Name == name).Sum(s => s.Seconds);

    /// <summary>Any generator over <see cref="BoundShare"/> of a core; pinned, all of them together (they share one core).</summary>
    public bool GeneratorBound(bool pinned) => MaxGeneratorShare > BoundShare || (pinned && GeneratorCores > BoundShare);

    public string GeneratorText(bool pinned) =>
        Generators.Count == 0 ? "—"
        : $"{MaxGeneratorShare * 100:0}% of a core" + (Generators.Count > 1 ? $" (max of {Generators.Count}; all {GeneratorCores * 100:0}%)" : "")
          + (GeneratorBound(pinned) ? " ⚠ generator-bound?" : "");

    public string ServerText =>
        $"{ServerCores:0.00} cores (" + string.Join(", ", Servers.GroupBy(s => Group(s.Name)).Select(g => $"{g.Key} {g.Sum(s => s.Seconds) / WallSeconds:0.00}")) + ")";

    public string MachineText => double.IsNaN(MachineCores) ? "—" : $"{MachineCores:0.00} of {Environment.ProcessorCount} cores busy";

    /// <summary>A replica of either build: the table adds them up as "replicas".</summary>
    public static bool IsReplica(string name) => name.StartsWith("replica", StringComparison.Ordinal) || name.StartsWith("baseline", StringComparison.Ordinal);

    public static string Group(string name) => IsReplica(name) ? "replicas" : name;
}
