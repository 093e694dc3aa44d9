using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// PostgreSQL's own rate for the rows an emit stores (Kavach.LoadGen <c>pgrate</c>): the same columns, data of the same
/// size, a table LIKE kavach_stream_events INCLUDING ALL (the same indexes), a transaction per batch of 100 from 8
/// connections at the same durability — and PostgreSQL's CPU per row while doing it.
/// </summary>
/// <param name="MeasuredIn">The workload whose details hold the measurement (the INSERT is measured once per run).</param>
public sealed record PostgresRate(string Mode, double RowsPerSecond, CpuPerEvent Cpu, string MeasuredIn)
{
    public double PostgresMicrosPerRow => Cpu.Micros("postgres");

    public static async Task<PostgresRate> MeasureAsync(SuiteContext context, WorkloadReport report, string mode)
    {
        var sizes = context.Sizes;
        var generator = Generator.Start(context, $"pgrate-{mode}", "pgrate",
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
            var rows = summary.GetProperty("acked").GetInt64();
            var label = $"PostgreSQL, {mode.ToUpperInvariant()}";
            var perRow = report.AddCpuPerEvent(label, "row", rows, cpu);
            report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
            report.Details.Add($"**{label}**: {Format.Rate(rate)} rows; batch commit latency " +
                $"{Latency.From([summary.GetProperty("latency")])}; PostgreSQL {cpu.Seconds("postgres") / cpu.WallSeconds:0.00} cores; " +
                $"generator {cpu.GeneratorText(context.Options.Pin)}; machine {cpu.MachineText}.");
            report.Details.Add(perRow.Text);
            return new PostgresRate(mode, rate, perRow, report.Id);
        }
    }
}
