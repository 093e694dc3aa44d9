using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W5: acknowledged emits per second, one event per request, 64 closed-loop clients spread over both replicas,
/// against the same POST answered by the floor. A checking subscriber on each replica confirms that every
/// acknowledged event is delivered once, in order, and the head moved by exactly the acknowledged count.
/// </summary>
public sealed class EmitThroughput : IWorkload
{
    public string Title => "W5 — acknowledged emits/s, 1 event per request, 64 clients";

    public string Goal => "≥ 10,000/s and ≥ 0.5 × floor";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var api = await MeasureEmitsAsync(context, report, "w5", context.Cluster.Api, sizes.W5Clients, 1);
        var floor = await MeasureEmitsAsync(context, report, "w5", context.Cluster.FloorTarget, sizes.W5Clients, 1);
        var ratio = api.Emit.EventsPerSecond / floor.Emit.EventsPerSecond;
        report.Rows.Add(new ResultRow("W5 emits/s (1 per request, 64 clients)", Goal,
            Format.Rate(api.Emit.EventsPerSecond), $"floor {Format.Rate(floor.Emit.EventsPerSecond)}", Format.Ratio(ratio),
            api.Emit.EventsPerSecond >= 10_000 && ratio >= 0.5 ? Verdict.Met : Verdict.NotMet,
            api.Subscribers.Correctness, api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText));
        report.Details.Add($"Each emit is a request of one event; the API commits it (one PostgreSQL transaction with fsync) before answering 201. " +
            $"{sizes.EmitWarmup:0} s warm-up, {sizes.EmitSeconds:0} s measured.");
    }

    /// <summary>Closed-loop emitters against a target with a checking subscriber per replica; shared by W5 and W5b.</summary>
    public static async Task<(EmitTotals Emit, SubscriberTotals Subscribers, CpuReading Cpu)> MeasureEmitsAsync(
        SuiteContext context, WorkloadReport report, string name, Target target, int clients, int batch)
    {
        var sizes = context.Sizes;
        var label = target.IsFloor ? "floor" : target.Name;
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
                var meter = SuiteContext.Meter(target, [.. emitters, .. checkers]);
                var parts = new List<EmitTotals>();
                foreach (var emitter in emitters)
                {
                    parts.Add(EmitTotals.From(await emitter.ResultAsync(TimeSpan.FromSeconds(sizes.EmitSeconds + 120))));
                }

                var emit = EmitTotals.Combine(parts);
                var cpu = meter.Stop();
                var end = await target.HeadAsync();
                var (subscribers, _) = await context.StopSubscribersAsync(checkers, end);
                report.Violations += subscribers.Violations + Math.Abs(end - head - emit.AckedTotal);
                report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
                report.Details.Add($"**{label}**: {Format.Rate(emit.EventsPerSecond)} events acknowledged ({emit.Acked:N0} in the measured stretch, " +
                    $"{clients} clients in {processes} generator process{(processes > 1 ? "es" : "")}); " +
                    $"request latency {emit.RequestLatency}; answers {emit.StatusText}; head moved {end - head:N0} for {emit.AckedTotal:N0} acknowledged" +
                    $"{(end - head == emit.AckedTotal ? "" : " ⚠ MISMATCH")}; checking subscribers (one per replica) missing/dup/order {subscribers.Correctness}; " +
                    $"server {cpu.ServerText}; generators {cpu.GeneratorText(context.Options.Pin)}; machine {cpu.MachineText}.");
                return (emit, subscribers, cpu);
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
