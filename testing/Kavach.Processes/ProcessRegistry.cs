using System.Diagnostics;

namespace Kavach.Processes;

/// <summary>
/// Every process this run has running, by PID. Three nets make sure none outlives the run: the owners stop
/// theirs (a test class's clean-up, a workload's end), <see cref="KillAll"/> runs at the end and on process exit, and
/// a small watchdog shell kills whatever is listed in the PID file if the owning process itself dies (a crash, a CI
/// timeout, Ctrl+C), then removes the run's temporary data.
/// </summary>
public static class ProcessRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, ChildProcess> Live = [];
    private static string? _pidFile;
    private static Process? _watchdog;

    /// <summary>Starts the watchdog (which also removes <paramref name="workDirectory"/> after a crash) and the exit hook; idempotent.</summary>
    public static void Initialize(string workDirectory)
    {
        lock (Gate)
        {
            if (_pidFile is not null)
            {
                return;
            }

            _pidFile = Path.Combine(workDirectory, "children.pid");
            File.WriteAllText(_pidFile, "");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

            var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("""
                while kill -0 "$1" 2>/dev/null; do sleep 1; done
                [ -s "$2" ] && kill -9 $(cat "$2") 2>/dev/null
                sleep 1
                rm -rf "$3"
                exit 0
                """);
            info.ArgumentList.Add("watchdog");
            info.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add(_pidFile);
            info.ArgumentList.Add(workDirectory);
            _watchdog = Process.Start(info);
            _watchdog?.StandardInput.Close();
        }
    }

    internal static void Add(ChildProcess child)
    {
        lock (Gate)
        {
            Live[child.Pid] = child;
            WritePidFile();
        }
    }

    internal static void Remove(ChildProcess child)
    {
        lock (Gate)
        {
            if (Live.Remove(child.Pid))
            {
                WritePidFile();
            }
        }
    }

    public static IReadOnlyList<ChildProcess> Running
    {
        get
        {
            lock (Gate)
            {
                return [.. Live.Values];
            }
        }
    }

    /// <summary>SIGKILL to every process still listed, then the watchdog.</summary>
    public static void KillAll()
    {
        foreach (var child in Running)
        {
            child.KillNow();
        }

        lock (Gate)
        {
            try
            {
                if (_watchdog is { HasExited: false })
                {
                    _watchdog.Kill();
                    _watchdog.WaitForExit(2000);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private static void WritePidFile()
    {
        if (_pidFile is not null)
        {
            File.WriteAllText(_pidFile, string.Join(' ', Live.Keys) + "\n");
        }
    }
}
