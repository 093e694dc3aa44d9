using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W5b: emits in batches of 100 from 8 closed-loop clients, against PostgreSQL's own rate for the same rows (the
/// API's multi-row INSERT, and binary COPY) from 8 connections at the same durability, in the same run; and
/// PostgreSQL's CPU per event against its CPU per row of the bare INSERT.
/// </summary>
public sealed class BatchThroughput : IWorkload
{
    public string Title => "W5b — acknowledged emits/s in batches of 100, 8 clients";

    public string Goal => "≥ 50,000/s and ≥ 0.8 × PostgreSQL";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var exporter = context.Cluster.Sink is not null;
        var api = await EmitThroughput.MeasureEmitsAsync(context, report, "w5b", context.Cluster.Api, sizes.W5bClients, sizes.W5bBatch);
        var insert = await context.BareInsertAsync(report);
        var copy = await PostgresRate.MeasureAsync(context, report, "copy");
        var reference = Math.Max(insert.RowsPerSecond, copy.RowsPerSecond);
        var ratio = api.Emit.EventsPerSecond / reference;
        var cpuColumn = $"{api.PerEvent.Short}; INSERT postgres {Format.Micros(insert.PostgresMicrosPerRow)}, COPY postgres " +
            $"{Format.Micros(copy.PostgresMicrosPerRow)} — per {EmitThroughput.Acknowledged}, per row";
        report.Rows.Add(new ResultRow($"W5b emits/s (batches of 100, 8 clients{(exporter ? ", OTLP exporter on" : "")})", Goal, Format.Rate(api.Emit.EventsPerSecond),
            $"PostgreSQL {Format.Rate(reference)} ({(copy.RowsPerSecond >= insert.RowsPerSecond ? "COPY" : "INSERT")}; " +
            $"INSERT {Format.Rate(insert.RowsPerSecond)}, COPY {Format.Rate(copy.RowsPerSecond)})",
            Format.Ratio(ratio), api.Emit.EventsPerSecond >= 50_000 && ratio >= 0.8 ? Verdict.Met : Verdict.NotMet,
            api.Subscribers.Correctness, api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText, cpuColumn));

        var postgres = api.PerEvent.Micros("postgres");
        var postgresRatio = postgres / insert.PostgresMicrosPerRow;
        report.Rows.Add(new ResultRow("W5b PostgreSQL CPU per acknowledged event", "≤ 1.5 × a bare INSERT's per row",
            Format.Micros(postgres), $"bare INSERT {Format.Micros(insert.PostgresMicrosPerRow)} per row", Format.Ratio(postgresRatio),
            postgresRatio <= 1.5 ? Verdict.Met : Verdict.NotMet, api.Subscribers.Correctness, api.Cpu.GeneratorText(context.Options.Pin),
            api.Cpu.ServerText, cpuColumn));
        report.Details.Add("PostgreSQL's rate: the same rows (same columns, data of the same size, a table LIKE kavach_stream_events " +
            "INCLUDING ALL, so the same indexes), a transaction per batch of 100, 8 connections, fsync and synchronous_commit on; " +
            "no sequence lock and no duplicate-id lookup. The ratio is to the faster of INSERT and COPY. CPU per event: each process's CPU " +
            "over the measured stretch ÷ the events acknowledged (or, for PostgreSQL's own rate, the rows committed) in it." +
            (insert.MeasuredIn == report.Id ? "" : $" The INSERT was measured once for the run, in {insert.MeasuredIn.ToUpperInvariant()} (details there)."));
    }
}
