using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W5b: emits in batches of 100 from 8 closed-loop clients, against PostgreSQL's own rate for the same rows (the
/// API's multi-row INSERT, and binary COPY) from 8 connections at the same durability, in the same run.
/// </summary>
public sealed class BatchThroughput : IWorkload
{
    public string Title => "W5b — acknowledged emits/s in batches of 100, 8 clients";

    public string Goal => "≥ 50,000/s and ≥ 0.8 × PostgreSQL";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var api = await EmitThroughput.MeasureEmitsAsync(context, report, "w5b", context.Cluster.Api, sizes.W5bClients, sizes.W5bBatch);
        var insert = await PostgresRateAsync(context, report, "insert");
        var copy = await PostgresRateAsync(context, report, "copy");
        var reference = Math.Max(insert, copy);
        var ratio = api.Emit.EventsPerSecond / reference;
        report.Rows.Add(new ResultRow("W5b emits/s (batches of 100, 8 clients)", Goal, Format.Rate(api.Emit.EventsPerSecond),
            $"PostgreSQL {Format.Rate(reference)} ({(copy >= insert ? "COPY" : "INSERT")}; INSERT {Format.Rate(insert)}, COPY {Format.Rate(copy)})",
            Format.Ratio(ratio), api.Emit.EventsPerSecond >= 50_000 && ratio >= 0.8 ? Verdict.Met : Verdict.NotMet,
            api.Subscribers.Correctness, api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText));
        report.Details.Add("PostgreSQL's rate: the same rows (same columns, data of the same size, a table LIKE kavach_stream_events " +
            "INCLUDING ALL, so the same indexes), a transaction per batch of 100, 8 connections, fsync and synchronous_commit on; " +
            "no sequence lock and no duplicate-id lookup. The ratio is to the faster of INSERT and COPY.");
    }

    private static async Task<double> PostgresRateAsync(SuiteContext context, WorkloadReport report, string mode)
    {
        var sizes = context.Sizes;
        var generator = Generator.Start(context, $"w5b-pgrate-{mode}", "pgrate",
        [
            "--connection", context.Cluster.Postgres.ConnectionString, "--mode", mode,
            "--connections", SuiteContext.Text(sizes.W5bClients), "--batch", SuiteContext.Text(sizes.W5bBatch),
            "--duration", SuiteContext.Text(sizes.PgRateSeconds), "--warmup", SuiteContext.Text(sizes.EmitWarmup),
        ]);
        await using (generator)
        {
            await Task.Delay(TimeSpan.FromSeconds(sizes.EmitWarmup));
            var meter = CpuMeter.Start([("postgres", context.Cluster.Postgres.Pid ?? 0, true)], [(generator.Name, generator.Pid)]);
            var summary = await generator.ResultAsync(TimeSpan.FromSeconds(sizes.PgRateSeconds + 120));
            var cpu = meter.Stop();
            var rate = summary.GetProperty("eventsPerSecond").GetDouble();
            report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
            report.Details.Add($"**PostgreSQL, {mode.ToUpperInvariant()}**: {Format.Rate(rate)} rows; batch commit latency " +
                $"{Latency.From([summary.GetProperty("latency")])}; PostgreSQL {cpu.Seconds("postgres") / cpu.WallSeconds:0.00} cores; " +
                $"generator {cpu.GeneratorText(context.Options.Pin)}; machine {cpu.MachineText}.");
            return rate;
        }
    }
}
