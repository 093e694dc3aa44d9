using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kavach.Benchmarks.Results;

/// <summary>What the figures depend on: the machine, how busy it was, the versions, and the commit measured.</summary>
public sealed record MachineInfo(
    DateTime Started,
    string Cpu,
    int Cores,
    double MemoryGiB,
    string Kernel,
    string Runtime,
    string Postgres,
    string Redis,
    string LoadAverageAtStart,
    string Commit,
    long OpenFilesLimit)
{
    public string LoadAverageAtEnd { get; set; } = "";

    public static MachineInfo Read(string postgresBin) => new(
        DateTime.Now,
        ReadFirst("/proc/cpuinfo", "model name")?.Split(':', 2)[1].Trim() ?? "unknown",
        Environment.ProcessorCount,
        Math.Round(ReadMemTotalKiB() / 1024.0 / 1024.0, 1),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        Run(Path.Combine(postgresBin, "postgres"), "--version"),
        Run("redis-server", "--version").Split(' ').Skip(2).FirstOrDefault() ?? "unknown",
        LoadAverage(),
        Run("git", "-C", AppContext.BaseDirectory, "log", "-1", "--format=%h %s").Split('\n')[0],
        Kavach.Processes.ProcessStats.OpenFilesLimit(Environment.ProcessId) ?? 0);

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public string Describe(SuiteOptions options) =>
        $"Machine: {Cpu}, {Cores} cores, {MemoryGiB} GiB; {Kernel}; {Runtime}; {Postgres} (fsync on, synchronous_commit on); Redis {Redis}; " +
        $"open files limit {OpenFilesLimit:N0} per process. Load average (1/5/15 min) at start {LoadAverageAtStart}, at end {LoadAverageAtEnd}. " +
        $"Commit measured: {Commit}. Placement: {(options.Pin ? "pinned — PostgreSQL, Redis, replicas and floor on CPU 0, generators on CPU 1" : "not pinned — every process on either core")}." +
        (options.Exporter
            ? " Telemetry: the replicas export traces, metrics and logs over OTLP/HTTP to the suite's sink (W5 also measures them without)."
            : " Telemetry: no exporter (--exporter off).") +
        (options.BaselineApi is { } baseline ? $" Baseline API: {baseline}." : "");

    private static string? ReadFirst(string path, string prefix) =>
        File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) : null;

    private static long ReadMemTotalKiB() =>
        long.TryParse(ReadFirst("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kib) ? kib : 0;

    private static string Run(string program, params string[] arguments)
    {
        try
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(5000);
            return output;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "unknown";
        }
    }
}
