using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>Fan-out: 10,000 subscribers on one replica, 20 events/s emitted to that replica: p99 under 250 ms.</summary>
public sealed class FanOut : IWorkload
{
    public string Title => "Fan-out — 10,000 subscribers on one replica × 20 events/s";

    public string Goal => "p99 < 250 ms and ≤ 1.1 × floor";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var api = context.Cluster.Api;
        var floor = context.Cluster.FloorTarget;
        var onApi = await LiveLatency.RunAsync(context, report, api, "fanout-api", [("subs", api.Url(0), sizes.FanOutSubscribers)],
            api.Url(0), 8, sizes.FanOutRate, sizes.FanOutSeconds);
        var onFloor = await LiveLatency.RunAsync(context, report, floor, "fanout-floor", [("subs", floor.Url(0), sizes.FanOutSubscribers)],
            floor.Url(0), 8, sizes.FanOutRate, sizes.FanOutSeconds);
        var p99 = onApi.Subscribers.Latency.P99;
        var apiCpu = LiveLatency.PerDelivery(report, "Kavach API", onApi);
        var floorCpu = LiveLatency.PerDelivery(report, "floor", onFloor);
        report.Rows.Add(new ResultRow($"Fan-out p99 ({sizes.FanOutSubscribers:N0} subscribers on one replica × {sizes.FanOutRate:0}/s)", Goal,
            $"{Format.Ms(p99)} (p50 {Format.Ms(onApi.Subscribers.Latency.P50)})",
            $"floor {Format.Ms(onFloor.Subscribers.Latency.P99)} (p50 {Format.Ms(onFloor.Subscribers.Latency.P50)})",
            Format.Ratio(p99 / onFloor.Subscribers.Latency.P99), p99 < 250 && p99 <= 1.1 * onFloor.Subscribers.Latency.P99 ? Verdict.Met : Verdict.NotMet, onApi.Subscribers.Correctness,
            onApi.Cpu.GeneratorText(context.Options.Pin), onApi.Cpu.ServerText, CpuPerEvent.Column(apiCpu, floorCpu)));
        report.Details.Add($"Every subscriber and the emitter on replica 0; {sizes.FanOutSeconds:0} s; {sizes.FanOutSubscribers * sizes.FanOutRate:N0} deliveries/s offered.");
        report.Details.Add(LiveLatency.Describe("Kavach API", onApi, context.Options.Pin));
        report.Details.Add(LiveLatency.Describe("floor", onFloor, context.Options.Pin));
        report.Details.Add(apiCpu.Text);
        report.Details.Add(floorCpu.Text);
    }
}
