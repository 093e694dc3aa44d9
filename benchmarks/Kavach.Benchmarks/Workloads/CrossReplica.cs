using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;
using Kavach.Processes;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// X: events emitted on replica A only, subscribers on A and on B. Same-replica against cross-replica latency,
/// each replica's CPU per 1,000 events, and what PostgreSQL was asked meanwhile (pg_stat_database of the stream's
/// database): the price of carrying "committed up to N" hints through Redis and reading the events back from
/// PostgreSQL, against a build that carried whole events (--api).
/// </summary>
public sealed class CrossReplica : IWorkload
{
    public string Title => "X — emits on replica A only: same-replica vs cross-replica";

    public string Goal => "(informs the fan-out design)";

    private static double IdleSeconds(Sizes sizes) => sizes.Quick ? 2 : 5;

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sets = new List<(string Label, Target Target, string Database)> { ("current", context.Cluster.Api, PostgresServer.Database) };
        if (context.Cluster.Baseline is { } baseline)
        {
            sets.Add(("baseline", baseline, BenchCluster.BaselineDatabase));
        }

        var sizes = context.Sizes;
        var settle = TimeSpan.FromSeconds(sizes.Quick ? 2 : 11);
        report.Details.Add($"{sizes.XRate:0} events/s, one per request from 8 connections, to replica 0 for {sizes.XSeconds:0} s; " +
            $"{sizes.XSubscribersPerReplica} subscribers on each replica. CPU per 1,000 events is each replica's user+system time over the stretch, " +
            $"less what it used idle (measured for {IdleSeconds(sizes):0} s with the subscribers connected and nothing emitted), divided by the " +
            $"events. PostgreSQL's counters are pg_stat_database deltas of the stream's database, read {settle.TotalSeconds:0} s after the stretch " +
            "so that idle backends have reported; they include each replica's periodic head check.");
        report.Details.Add("");
        report.Details.Add("| Build | events | same-replica p50 / p99 | cross-replica p50 / p99 | replica A CPU per 1k events | replica B CPU per 1k events | idle CPU A / B | PostgreSQL rows returned per 1k | rows fetched per 1k | commits per 1k | Redis CPU per 1k |");
        report.Details.Add("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        var descriptions = new List<string>();
        foreach (var (label, target, database) in sets)
        {
            await Task.Delay(settle);
            var before = await context.Cluster.DatabaseReadsAsync(database);
            var outcome = await LiveLatency.RunAsync(context, report, target, $"x-{label}",
                [("same", target.Url(0), sizes.XSubscribersPerReplica), ("cross", target.Url(1), sizes.XSubscribersPerReplica)],
                target.Url(0), 8, sizes.XRate, sizes.XSeconds, minimumProcesses: 1, idleSeconds: IdleSeconds(sizes));
            await Task.Delay(settle);
            var after = await context.Cluster.DatabaseReadsAsync(database);
            var same = outcome.Groups["same"].Latency;
            var cross = outcome.Groups["cross"].Latency;
            var perThousand = 1000.0 / Math.Max(1, outcome.Events);
            var names = target.ServerProcesses.Select(p => p.Name).ToList();
            var perDelivery = LiveLatency.PerDelivery(report, $"{label} ({target.Name})", outcome);
            var cpuColumn = CpuPerEvent.Column(perDelivery);
            double IdleShare(string name) => outcome.Idle is { } idle ? idle.Seconds(name) / idle.WallSeconds : 0;
            string Cpu(string name) =>
                $"{Math.Max(0, outcome.Cpu.Seconds(name) - IdleShare(name) * outcome.Cpu.WallSeconds) * perThousand * 1000:0} ms";
            report.Details.Add($"| {label} | {outcome.Events:N0} | {Format.Ms(same.P50)} / {Format.Ms(same.P99)} | {Format.Ms(cross.P50)} / {Format.Ms(cross.P99)} | " +
                $"{Cpu(names[0])} | {Cpu(names[1])} | {IdleShare(names[0]) * 100:0.0}% / {IdleShare(names[1]) * 100:0.0}% | " +
                $"{(after.Returned - before.Returned) * perThousand:N0} | {(after.Fetched - before.Fetched) * perThousand:N0} | " +
                $"{(after.Commits - before.Commits) * perThousand:N1} | {Cpu("redis")} |");
            report.Rows.Add(new ResultRow($"X same-replica p99 ({label})", Goal, $"{Format.Ms(same.P99)} (p50 {Format.Ms(same.P50)})", "—", "—",
                Verdict.Info, outcome.Groups["same"].Correctness, outcome.Cpu.GeneratorText(context.Options.Pin), outcome.Cpu.ServerText, cpuColumn));
            report.Rows.Add(new ResultRow($"X cross-replica p99 ({label})", Goal, $"{Format.Ms(cross.P99)} (p50 {Format.Ms(cross.P50)})",
                $"same-replica {Format.Ms(same.P99)}", Format.Ratio(cross.P99 / same.P99), Verdict.Info, outcome.Groups["cross"].Correctness,
                outcome.Cpu.GeneratorText(context.Options.Pin), outcome.Cpu.ServerText, cpuColumn));
            descriptions.Add(LiveLatency.Describe($"{label} ({target.Name})", outcome, context.Options.Pin));
            descriptions.Add(perDelivery.Text);
        }

        report.Details.Add("");
        report.Details.AddRange(descriptions);
    }
}
