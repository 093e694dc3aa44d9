using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kavach.Processes;

/// <summary>
/// A process this run started and owns by PID: its output goes straight to a log file (the shell redirects it
/// before exec, so the log survives the process and nothing here has to drain a pipe), and it can be killed
/// (SIGKILL), asked to stop (SIGTERM, SIGINT, SIGQUIT) and waited for. Every live one is in the
/// <see cref="ProcessRegistry"/>, so nothing outlives the run that started it.
/// </summary>
public sealed class ChildProcess
{
    private readonly Process _process;

    private ChildProcess(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        Pid = process.Id;
    }

    public string Name { get; }

    public int Pid { get; }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <paramref name="fileName"/> with exactly the given environment on top of a cleaned copy of this one.
    /// The shell execs the program (through <c>taskset</c>/<c>nice</c> when <paramref name="placement"/> asks, which
    /// exec it in turn), so the PID returned is the program's own.
    /// </summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, string logPath, string? workingDirectory = null,
        ProcessPlacement? placement = null)
    {
        if (placement is not null)
        {
            (fileName, arguments) = placement.Wrap(fileName, arguments);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        File.AppendAllText(logPath, $"---- {DateTimeOffset.Now:O} starting {name}: {fileName} {string.Join(' ', arguments)}\n");

        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true, // closed at once: nothing here reads a terminal
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" >>\"$KAVACH_CHILD_LOG\" 2>&1");
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.Where(IsInheritedSetting).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["KAVACH_CHILD_LOG"] = logPath;

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {name}.");
        process.StandardInput.Close();
        var child = new ChildProcess(name, process, logPath);
        ProcessRegistry.Add(child);
        return child;
    }

    /// <summary>kill -9: no clean-up, no goodbye, as a crashed or OOM-killed process.</summary>
    public Task KillAsync(TimeSpan? timeout = null) => SignalAndWaitAsync(Posix.SigKill, timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>SIGTERM (graceful stop) and wait for the exit.</summary>
    public Task TerminateAsync(TimeSpan timeout) => SignalAndWaitAsync(Posix.SigTerm, timeout);

    /// <summary>SIGINT: PostgreSQL's fast shutdown.</summary>
    public Task InterruptAsync(TimeSpan timeout) => SignalAndWaitAsync(Posix.SigInt, timeout);

    /// <summary>SIGQUIT: PostgreSQL's immediate shutdown (pg_ctl stop -m immediate): no checkpoint, crash recovery on start.</summary>
    public Task QuitAsync(TimeSpan timeout) => SignalAndWaitAsync(Posix.SigQuit, timeout);

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} (PID {Pid}) did not exit within {timeout}.");
        }
        finally
        {
            if (_process.HasExited)
            {
                ProcessRegistry.Remove(this);
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines of the log, for failure messages.</summary>
    public string LogTail(int lines = 30)
    {
        try
        {
            var all = File.ReadAllLines(LogPath);
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Best-effort SIGKILL by PID, for clean-up paths that must not throw.</summary>
    public void KillNow()
    {
        try
        {
            if (!_process.HasExited)
            {
                _ = Posix.Signal(Pid, Posix.SigKill);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        ProcessRegistry.Remove(this);
    }

    private async Task SignalAndWaitAsync(int signal, TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            ProcessRegistry.Remove(this);
            return;
        }

        if (Posix.Signal(Pid, signal) != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"Signal {signal} to {Name} (PID {Pid}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        try
        {
            await WaitForExitAsync(timeout);
        }
        catch (TimeoutException) when (signal != Posix.SigKill)
        {
            KillNow();
            throw;
        }
    }

    /// <summary>Settings the parent may carry that must not leak into a child's configuration.</summary>
    private static bool IsInheritedSetting(string key) =>
        key.StartsWith("Kavach__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase);
}
