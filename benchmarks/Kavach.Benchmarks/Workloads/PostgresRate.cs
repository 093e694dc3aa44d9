using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// PostgreSQL's own rate for the rows an emit stores (Kavach.LoadGen <c>pgrate</c>): the same columns, data of the same
/// size, a table LIKE kavach_stream_events INCLUDING ALL (the same indexes), a transaction per batch of 100 from 8
/// connections at the same durability — and PostgreSQL's CPU per row while doing it.
/// </summary>
/// <param name="MeasuredIn">The workload whose details hold the measurement (the INSERT is measured once per run).</param>
public sealed record PostgresRate(string Mode, double RowsPerSecond, CpuPerEvent Cpu, string MeasuredIn, int Batch, int Connections)
{
    public double PostgresMicrosPerRow => Cpu.Micros("postgres");

    /// <param name="batch">Rows per transaction (default W5b's 100).</param>
    /// <param name="connections">Connections inserting at once (default W5b's 8).</param>
    public static async Task<PostgresRate> MeasureAsync(SuiteContext context, WorkloadReport report, string mode, int? batch = null, int? connections = null)
    {
        var sizes = context.Sizes;
        var rows = batch ?? sizes.W5bBatch;
        var clients = connections ?? sizes.W5bClients;
        var name = rows == sizes.W5bBatch ? mode : $"{mode}-{rows}x{clients}";
        var generator = Generator.Start(context, $"pgrate-{name}", "pgrate",
        [
            "--connection", context.Cluster.Postgres.ConnectionString, "--mode", mode,
            "--connections", SuiteContext.Text(clients), "--batch", SuiteContext.Text(rows),
            "--duration", SuiteContext.Text(sizes.PgRateSeconds), "--warmup", SuiteContext.Text(sizes.EmitWarmup),
        ]);
        await using (generator)
        {
            await Task.Delay(TimeSpan.FromSeconds(sizes.EmitWarmup));
            var meter = CpuMeter.Start([("postgres", context.Cluster.Postgres.Pid ?? 0, true)], [(generator.Name, generator.Pid)]);
            var summary = await generator.ResultAsync(TimeSpan.FromSeconds(sizes.PgRateSeconds + 120));
            var cpu = meter.Stop();
            var rate = summary.GetProperty("eventsPerSecond").GetDouble();
            var acked = summary.GetProperty("acked").GetInt64();
            var label = $"PostgreSQL, {mode.ToUpperInvariant()}" + (rows == sizes.W5bBatch ? "" : $" ({rows} row{(rows == 1 ? "" : "s")} per transaction, {clients} connections)");
            var perRow = report.AddCpuPerEvent(label, "row", acked, cpu);
            report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
            report.Details.Add($"**{label}**: {Format.Rate(rate)} rows; batch commit latency " +
                $"{Latency.From([summary.GetProperty("latency")])}; PostgreSQL {cpu.Seconds("postgres") / cpu.WallSeconds:0.00} cores; " +
                $"generator {cpu.GeneratorText(context.Options.Pin)}; machine {cpu.MachineText}.");
            report.Details.Add(perRow.Text);
            return new PostgresRate(mode, rate, perRow, report.Id, rows, clients);
        }
    }
}
