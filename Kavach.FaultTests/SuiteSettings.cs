using System.Globalization;
using Kavach.Processes;

namespace Kavach.FaultTests;

/// <summary>
/// Sizes of the fault suite, from environment variables with defaults sized for CI (2 cores, the whole suite
/// within 10 minutes). Documented in docs/operations.md.
/// </summary>
public static class SuiteSettings
{
    /// <summary>API replicas per cluster (at least 2: followers and emitters fail over between them).</summary>
    public static int Replicas { get; } = Math.Max(2, Read("KAVACH_FAULT_REPLICAS", 2));

    /// <summary>Concurrent emitters per scenario.</summary>
    public static int Emitters { get; } = Read("KAVACH_FAULT_EMITTERS", 4);

    /// <summary>SSE followers per scenario, spread over the replicas.</summary>
    public static int Followers { get; } = Read("KAVACH_FAULT_FOLLOWERS", 4);

    /// <summary>Events per second, all emitters together.</summary>
    public static int EmitRate { get; } = Read("KAVACH_FAULT_EMIT_RATE", 200);

    /// <summary>Clients in the reconnect storm, all resuming on one replica at once.</summary>
    public static int StormClients { get; } = Read("KAVACH_FAULT_STORM_CLIENTS", 300);

    /// <summary>How many events behind the head the storm's clients resume.</summary>
    public static int StormBehind { get; } = Read("KAVACH_FAULT_STORM_BEHIND", 2000);

    /// <summary>Scales every scenario's load phases (1 = CI size); faults keep their own timing.</summary>
    public static double LoadScale { get; } = ReadDouble("KAVACH_FAULT_LOAD_SCALE", 1.0);

    /// <summary>Temporary data (PostgreSQL data directories, Redis configuration): under /tmp, reachable by the postgres user.</summary>
    public static string WorkRoot { get; } = Path.Combine("/tmp", $"kavach-fault-{Environment.ProcessId}");

    /// <summary>Process logs and the figures table; set from the test run's results directory at assembly start.</summary>
    public static string LogRoot { get; set; } = Path.Combine(Path.GetTempPath(), $"kavach-fault-logs-{Environment.ProcessId}");

    /// <summary>Kavach.StreamApi.dll of the configuration this suite was built in: what the replicas run.</summary>
    public static string StreamApiAssembly => BuiltAssemblies.Find(typeof(SuiteSettings).Assembly, BuiltAssemblies.StreamApi);

    /// <summary>Kavach.LoadGen.dll, the load generator the storm runs in its own process.</summary>
    public static string LoadGenAssembly => BuiltAssemblies.Find(typeof(SuiteSettings).Assembly, BuiltAssemblies.LoadGen);

    /// <summary>Kavach.Benchmarks.dll, the benchmark suite's orchestrator (smoke-run by BenchmarkSmokeTests).</summary>
    public static string BenchmarksAssembly => BuiltAssemblies.Find(typeof(SuiteSettings).Assembly, BuiltAssemblies.Benchmarks);

    /// <summary>Kavach.AppHost.dll, run in publish mode by the manifest test.</summary>
    public static string AppHostAssembly => BuiltAssemblies.Find(typeof(SuiteSettings).Assembly, BuiltAssemblies.AppHost);

    /// <summary>Kavach.Dashboard.dll, the console the ACA rehearsal runs behind its ingress.</summary>
    public static string ConsoleAssembly => BuiltAssemblies.Find(typeof(SuiteSettings).Assembly, BuiltAssemblies.Console);

    /// <summary>The repository's root (where azure.yaml and infra/ are), found upwards from the test assembly.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kavach.Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Kavach.Aspire.sln above {AppContext.BaseDirectory}.");
    }

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;

    private static double ReadDouble(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
}
