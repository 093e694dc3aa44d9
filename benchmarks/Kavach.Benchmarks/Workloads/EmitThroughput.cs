using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W5: acknowledged emits per second, one event per request, 64 closed-loop clients spread over both replicas,
/// against the same POST answered by the floor. A checking subscriber on each replica confirms that every
/// acknowledged event is delivered once, in order, and the head moved by exactly the acknowledged count. The same
/// run reads each process's CPU per emit against the floor's per request and PostgreSQL's per row of a bare INSERT,
/// and — when the replicas export telemetry — measures them again with the exporter off.
/// </summary>
public sealed class EmitThroughput : IWorkload
{
    public const string Acknowledged = "acknowledged event";

    public string Title => "W5 — acknowledged emits/s, 1 event per request, 64 clients";

    public string Goal => "≥ 10,000/s and ≥ 0.5 × floor";

    /// <summary>One measured stretch of closed-loop emits: what was acknowledged, checked and spent, and the telemetry that flowed.</summary>
    public sealed record Outcome(EmitTotals Emit, SubscriberTotals Subscribers, CpuReading Cpu, CpuPerEvent PerEvent, TelemetryReceived? Telemetry);

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var cluster = context.Cluster;
        var exporter = cluster.Sink is not null;
        var api = await MeasureEmitsAsync(context, report, "w5", cluster.Api, sizes.W5Clients, 1,
            exporter ? "Kavach API (OTLP exporter on)" : "Kavach API (no exporter)");
        var floor = await MeasureEmitsAsync(context, report, "w5", cluster.FloorTarget, sizes.W5Clients, 1);
        var insert = await context.BareInsertAsync(report);
        var singleRowInsert = await context.BareSingleRowInsertAsync(report);
        var ratio = api.Emit.EventsPerSecond / floor.Emit.EventsPerSecond;
        var cpuColumn = CpuPerEvent.Column(api.PerEvent, floor.PerEvent);
        report.Rows.Add(new ResultRow($"W5 emits/s (1 per request, 64 clients{(exporter ? ", OTLP exporter on" : "")})", Goal,
            Format.Rate(api.Emit.EventsPerSecond), $"floor {Format.Rate(floor.Emit.EventsPerSecond)}", Format.Ratio(ratio),
            api.Emit.EventsPerSecond >= 10_000 && ratio >= 0.5 ? Verdict.Met : Verdict.NotMet,
            api.Subscribers.Correctness, api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText, cpuColumn));

        var replicas = api.PerEvent.Micros(CpuReading.IsReplica);
        var floorPerRequest = floor.PerEvent.Micros("floor");
        var replicaRatio = replicas / floorPerRequest;
        report.Rows.Add(new ResultRow("W5 replica CPU per acknowledged emit (replicas added up)", "≤ 3 × floor's CPU per request",
            $"{Format.Micros(replicas)} (" + string.Join(", ", cluster.Replicas.Select(r => $"{r.Name} {Format.Micros(api.PerEvent.Micros(r.Name))}")) + ")",
            $"floor {Format.Micros(floorPerRequest)} per request", Format.Ratio(replicaRatio),
            replicaRatio <= 3 ? Verdict.Met : Verdict.NotMet, api.Subscribers.Correctness,
            api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText, cpuColumn));

        var postgres = api.PerEvent.Micros("postgres");
        var postgresRatio = postgres / singleRowInsert.PostgresMicrosPerRow;
        report.Rows.Add(new ResultRow("W5 PostgreSQL CPU per acknowledged emit", "≤ 2.5 × a bare INSERT's per row, one row per transaction",
            Format.Micros(postgres), $"bare INSERT {Format.Micros(singleRowInsert.PostgresMicrosPerRow)} per row (1 per transaction, {sizes.W5Clients} connections; " +
            $"in batches of {sizes.W5bBatch}: {Format.Micros(insert.PostgresMicrosPerRow)}, {Format.Ratio(postgres / insert.PostgresMicrosPerRow)})",
            Format.Ratio(postgresRatio), postgresRatio <= 2.5 ? Verdict.Met : Verdict.NotMet, api.Subscribers.Correctness,
            api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText,
            $"postgres {Format.Micros(postgres)}; INSERT {Format.Micros(singleRowInsert.PostgresMicrosPerRow)} (1 row), {Format.Micros(insert.PostgresMicrosPerRow)} ({sizes.W5bBatch} rows) — per event, per row"));

        report.Details.Add($"Each emit is a request of one event; the API commits it (one PostgreSQL transaction with fsync) before answering 201. " +
            $"{sizes.EmitWarmup:0} s warm-up, {sizes.EmitSeconds:0} s measured. CPU per acknowledged event: each process's CPU over the measured " +
            "stretch ÷ the events acknowledged in it (the floor: per request, the same POST). The bare INSERT is PostgreSQL's own rate for the same " +
            $"rows: one per transaction from {sizes.W5Clients} connections (W5's load shape, the reference of the goal), and W5b's batches of {sizes.W5bBatch}{(insert.MeasuredIn == report.Id ? ", measured here once for the run" : $", measured once in {insert.MeasuredIn.ToUpperInvariant()}")}.");
        if (exporter)
        {
            await CompareWithoutExporterAsync(context, report);
        }
        else
        {
            report.Details.Add("The replicas ran without an OTLP exporter (--exporter off): no comparison with the exporter on.");
        }
    }

    /// <summary>
    /// The same emits with both replicas restarted without the OTLP variables, then restarted with them again and
    /// measured once more, so that both sides of the comparison are of replicas restarted and warmed up the same way
    /// (a restarted replica's JIT is still settling after the warm-up; the cluster's first measurement is not) and
    /// later workloads run as configured.
    /// </summary>
    private static async Task CompareWithoutExporterAsync(SuiteContext context, WorkloadReport report)
    {
        var cluster = context.Cluster;
        context.Log("  restarting both replicas without the OTLP exporter");
        await cluster.RestartReplicasAsync(exporter: false);
        await ClusterWarmup.WarmAsync(context, cluster.Api, "api-noexport");
        Outcome off;
        try
        {
            off = await MeasureEmitsAsync(context, report, "w5-noexport", cluster.Api, context.Sizes.W5Clients, 1, "Kavach API (OTLP exporter off)");
        }
        finally
        {
            context.Log("  restarting both replicas with the OTLP exporter");
            await cluster.RestartReplicasAsync(exporter: true);
            await ClusterWarmup.WarmAsync(context, cluster.Api, "api");
        }

        var on = await MeasureEmitsAsync(context, report, "w5-export", cluster.Api, context.Sizes.W5Clients, 1,
            "Kavach API (OTLP exporter on, restarted the same way)");
        var ratio = on.Emit.EventsPerSecond / off.Emit.EventsPerSecond;
        report.Rows.Add(new ResultRow("W5 with the OTLP exporter on vs off", "≥ 0.9×",
            $"{Format.Rate(on.Emit.EventsPerSecond)} on", $"{Format.Rate(off.Emit.EventsPerSecond)} off", Format.Ratio(ratio),
            ratio >= 0.9 ? Verdict.Met : Verdict.NotMet, off.Subscribers.Correctness, off.Cpu.GeneratorText(context.Options.Pin),
            off.Cpu.ServerText, $"on: {on.PerEvent.Short}; off: {off.PerEvent.Short} — per {Acknowledged}"));
        report.Details.Add("Exporter on vs off: both replicas restarted without the OTEL_* variables, warmed up like the cluster and " +
            "measured as above; then restarted with them, warmed up and measured again — the row compares these two. They differ by this " +
            "machine's run-to-run spread too (about ±30 % for throughput): compare the CPU per event as well as the rates.");
    }

    /// <summary>Closed-loop emitters against a target with a checking subscriber per replica; shared by W5 and W5b.</summary>
    public static async Task<Outcome> MeasureEmitsAsync(SuiteContext context, WorkloadReport report, string name, Target target, int clients,
        int batch, string? label = null)
    {
        var sizes = context.Sizes;
        label ??= target.IsFloor ? "floor" : target.Name;
        var sink = target.IsFloor || !context.Cluster.ExporterOn ? null : context.Cluster.Sink;
        var head = await target.HeadAsync();
        var checkers = await context.StartSubscribersAsync($"{name}-check-{(target.IsFloor ? "floor" : "api")}", target.AllUrls,
            target.Replicas.Count, head);
        try
        {
            // Many clients are split over two generator processes, so that no one process's core is what limits the floor.
            var processes = clients >= 32 ? 2 : 1;
            var emitters = Enumerable.Range(0, processes).Select(i => context.StartEmitter(
                $"{name}-emit-{(target.IsFloor ? "floor" : "api")}-{i}", target.AllUrls, clients / processes, batch,
                $"--rate 0 --duration {SuiteContext.Text(sizes.EmitSeconds)}", sizes.EmitWarmup)).ToList();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(sizes.EmitWarmup));
                var telemetryBefore = sink is null ? null : await sink.ReadAsync();
                var meter = context.Meter(target, [.. emitters, .. checkers]);
                var parts = new List<EmitTotals>();
                foreach (var emitter in emitters)
                {
                    parts.Add(EmitTotals.From(await emitter.ResultAsync(TimeSpan.FromSeconds(sizes.EmitSeconds + 120))));
                }

                var emit = EmitTotals.Combine(parts);
                var cpu = meter.Stop();
                var telemetry = sink is null ? null : await sink.ReadAsync() - telemetryBefore!;
                var end = await target.HeadAsync();
                var (subscribers, _) = await context.StopSubscribersAsync(checkers, end);
                report.Violations += subscribers.Violations + Math.Abs(end - head - emit.AckedTotal);
                report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
                report.Details.Add($"**{label}**: {Format.Rate(emit.EventsPerSecond)} events acknowledged ({emit.Acked:N0} in the measured stretch, " +
                    $"{clients} clients in {processes} generator process{(processes > 1 ? "es" : "")}); " +
                    $"request latency {emit.RequestLatency}; answers {emit.StatusText}; head moved {end - head:N0} for {emit.AckedTotal:N0} acknowledged" +
                    $"{(end - head == emit.AckedTotal ? "" : " ⚠ MISMATCH")}; checking subscribers (one per replica) missing/dup/order {subscribers.Correctness}; " +
                    $"server {cpu.ServerText}; generators {cpu.GeneratorText(context.Options.Pin)}; machine {cpu.MachineText}.");
                var perEvent = report.AddCpuPerEvent(label, Acknowledged, emit.Acked, cpu);
                report.Details.Add(perEvent.Text);
                if (telemetry is not null)
                {
                    report.Details.Add($"**{label}**, telemetry the OTLP sink received over the stretch: {telemetry.PerThousand(emit.Acked)}.");
                }

                return new Outcome(emit, subscribers, cpu, perEvent, telemetry);
            }
            finally
            {
                await Task.WhenAll(emitters.Select(e => e.DisposeAsync().AsTask()));
            }
        }
        finally
        {
            await Task.WhenAll(checkers.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
