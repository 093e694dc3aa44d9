using System.Diagnostics;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Results;
using Kavach.Benchmarks.Workloads;
using Kavach.Processes;

namespace Kavach.Benchmarks;

/// <summary>
/// One invocation: the cluster and the floor start, the chosen workloads run one after another (each bounded in
/// time, every generator stopped by PID), and the table is printed and written with the logs.
/// </summary>
public static class BenchmarkSuite
{
    private static readonly IReadOnlyDictionary<string, Func<IWorkload>> Workloads = new Dictionary<string, Func<IWorkload>>
    {
        ["w5"] = () => new EmitThroughput(),
        ["w5b"] = () => new BatchThroughput(),
        ["w1"] = () => new ManySubscribersLatency(),
        ["w2"] = () => new RisingRate(),
        ["w4"] = () => new ResumeBehind(),
        ["fanout"] = () => new FanOut(),
        ["x"] = () => new CrossReplica(),
        ["webhooks"] = () => new PushDelivery(),
        ["w3"] = () => new IdleConnections(),
        ["retention"] = () => new RetentionUnderLoad(),
        ["merkle"] = () => new MerkleTreeCost(),
    };

    public static async Task<int> RunAsync(SuiteOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        var workDirectory = Path.Combine("/tmp", $"kavach-bench-{Environment.ProcessId}");
        var logDirectory = Path.Combine(options.ResultsDirectory, "logs");
        Directory.CreateDirectory(logDirectory);
        Directory.CreateDirectory(workDirectory);
        // PostgreSQL runs as the postgres user when this runs as root: it must be able to reach its directory.
        File.SetUnixFileMode(workDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        ProcessRegistry.Initialize(workDirectory);
        Console.CancelKeyPress += (_, _) =>
        {
            Console.Error.WriteLine("Interrupted: stopping every process this suite started.");
            ProcessRegistry.KillAll();
            RemoveWorkDirectory(workDirectory);
        };

        var machine = MachineInfo.Read(PostgresServer.FindBinDirectory());
        void Log(string message) => Console.Error.WriteLine($"[{stopwatch.Elapsed:mm\\:ss}] {message}");
        Log($"Kavach benchmark suite: {string.Join(' ', options.Workloads)}{(options.Quick ? " (quick)" : "")}{(options.Pin ? ", pinned" : "")}" +
            $"{(options.Exporter ? "" : ", no OTLP exporter")}; " +
            $"load average {machine.LoadAverageAtStart}; results in {options.ResultsDirectory}");

        var reports = new List<WorkloadReport>();
        try
        {
            var servers = options.Pin ? new ProcessPlacement(Cpus: "0") : null;
            var generators = options.Pin ? new ProcessPlacement(Cpus: "1") : null;
            await using var cluster = await BenchCluster.StartAsync(workDirectory, logDirectory, options.BaselineApi, servers, generators,
                options.Exporter, Log);
            Log($"Cluster up in {cluster.StartupTime.TotalSeconds:0.0} s");
            var context = new SuiteContext(options, cluster, workDirectory, logDirectory, Log);
            Log($"Warming up the API{(cluster.Baseline is null ? "" : ", the baseline")} and the floor for {context.Sizes.ClusterWarmupSeconds:0} s each ...");
            await ClusterWarmup.RunAsync(context);
            await ProfilingHooks.AfterWorkloadAsync(cluster.Postgres, logDirectory, "warmup");
            foreach (var id in options.Workloads)
            {
                var workload = Workloads[id]();
                var report = new WorkloadReport(id, workload.Title);
                reports.Add(report);
                var started = stopwatch.Elapsed;
                Log($"{workload.Title} ...");
                try
                {
                    await workload.RunAsync(context, report).WaitAsync(TimeSpan.FromMinutes(options.Quick ? 5 : 20));
                }
                catch (Exception e)
                {
                    report.Error = e;
                    report.Rows.Add(new ResultRow(id.ToUpperInvariant(), workload.Goal, "—", "—", "—", Verdict.Failed, "—", "—", "—"));
                    Log($"{workload.Title} failed: {e}");
                }

                Log($"{workload.Title} done in {(stopwatch.Elapsed - started).TotalSeconds:0} s");
                await ProfilingHooks.AfterWorkloadAsync(cluster.Postgres, logDirectory, id);
            }
        }
        finally
        {
            ProcessRegistry.KillAll();
            RemoveWorkDirectory(workDirectory);
        }

        machine.LoadAverageAtEnd = MachineInfo.LoadAverage();
        var table = ResultTable.Render(machine, options, reports, stopwatch.Elapsed);
        await File.WriteAllTextAsync(Path.Combine(options.ResultsDirectory, "results.md"), table);
        await File.WriteAllTextAsync(Path.Combine(options.ResultsDirectory, "results.json"), ResultTable.Json(machine, options, reports));
        Console.WriteLine(table);
        Console.WriteLine($"Written to {options.ResultsDirectory} (results.md, results.json, logs/).");
        return reports.Any(r => r.Error is not null || r.Violations > 0) ? 1 : 0;
    }

    private static void RemoveWorkDirectory(string workDirectory)
    {
        try
        {
            Directory.Delete(workDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
