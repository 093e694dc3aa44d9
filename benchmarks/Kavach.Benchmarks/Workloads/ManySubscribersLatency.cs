using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>W1: 1,000 subscribers (half on each replica), 50 events/s emitted to both replicas: emit→receive p99 against the floor's.</summary>
public sealed class ManySubscribersLatency : IWorkload
{
    public string Title => "W1 — 1,000 subscribers × 50 events/s: emit→receive latency";

    public string Goal => "p99 ≤ 1.25 × floor (read as the median of 3 runs)";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var api = context.Cluster.Api;
        var floor = context.Cluster.FloorTarget;
        var onApi = await LiveLatency.RunAsync(context, report, api, "w1-api", [("subs", api.AllUrls, sizes.W1Subscribers)],
            api.AllUrls, 8, sizes.W1Rate, sizes.W1Seconds);
        var onFloor = await LiveLatency.RunAsync(context, report, floor, "w1-floor", [("subs", floor.AllUrls, sizes.W1Subscribers)],
            floor.AllUrls, 8, sizes.W1Rate, sizes.W1Seconds);
        var ratio = onApi.Subscribers.Latency.P99 / onFloor.Subscribers.Latency.P99;
        var apiCpu = LiveLatency.PerDelivery(report, "Kavach API", onApi);
        var floorCpu = LiveLatency.PerDelivery(report, "floor", onFloor);
        report.Rows.Add(new ResultRow($"W1 emit→receive p99 ({sizes.W1Subscribers:N0} subscribers × {sizes.W1Rate:0}/s)", Goal,
            $"{Format.Ms(onApi.Subscribers.Latency.P99)} (p50 {Format.Ms(onApi.Subscribers.Latency.P50)})",
            $"floor {Format.Ms(onFloor.Subscribers.Latency.P99)} (p50 {Format.Ms(onFloor.Subscribers.Latency.P50)})",
            Format.Ratio(ratio), ratio <= 1.25 ? Verdict.Met : Verdict.NotMet, onApi.Subscribers.Correctness,
            onApi.Cpu.GeneratorText(context.Options.Pin), onApi.Cpu.ServerText, CpuPerEvent.Column(apiCpu, floorCpu)));
        report.Details.Add($"Subscribers half on each replica, emits alternate between the replicas (so half the deliveries cross replicas " +
            $"through Redis hints and PostgreSQL reads); {sizes.W1Seconds:0} s. Latency is from just before the emit request is written " +
            "to the arrival of the event's bytes at the subscriber, commit included.");
        report.Details.Add(LiveLatency.Describe("Kavach API", onApi, context.Options.Pin));
        report.Details.Add(LiveLatency.Describe("floor", onFloor, context.Options.Pin));
        report.Details.Add(apiCpu.Text);
        report.Details.Add(floorCpu.Text);
    }
}
