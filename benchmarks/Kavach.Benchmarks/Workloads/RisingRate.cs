using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W2: 100 subscribers while the emit rate rises step by step. For each step, the deliveries per second of the events
/// emitted in it and their p99; the figure is the most deliveries/s at a step whose p99 stayed under 1 s, and past that
/// step the deliveries must not collapse (slow clients may be shed and resume; the rest go on).
/// </summary>
public sealed class RisingRate : IWorkload
{
    private const long BucketMilliseconds = 250;

    public string Title => "W2 — 100 subscribers, rising rate: deliveries/s while p99 < 1 s";

    public string Goal => "≥ 0.95 × floor, graceful past saturation";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var api = await MeasureAsync(context, report, context.Cluster.Api, "w2-api");
        var floor = await MeasureAsync(context, report, context.Cluster.FloorTarget, "w2-floor");
        var ratio = api.Best.Deliveries / floor.Best.Deliveries;
        var apiCpu = report.AddCpuPerEvent("Kavach API", LiveLatency.Delivered, api.Subscribers.Events, api.Cpu);
        var floorCpu = report.AddCpuPerEvent("floor", LiveLatency.Delivered, floor.Subscribers.Events, floor.Cpu);
        report.Rows.Add(new ResultRow("W2 deliveries/s with p99 < 1 s (100 subscribers, rising rate)", Goal,
            $"{Format.Rate(api.Best.Deliveries)} at {Format.Rate(api.Best.Offered)} offered; {(api.Graceful ? "graceful" : "COLLAPSE")} past it",
            $"floor {Format.Rate(floor.Best.Deliveries)} at {Format.Rate(floor.Best.Offered)} offered; {(floor.Graceful ? "graceful" : "collapse")}",
            Format.Ratio(ratio), ratio >= 0.95 && api.Graceful ? Verdict.Met : Verdict.NotMet, api.Subscribers.Correctness,
            api.Cpu.GeneratorText(context.Options.Pin), api.Cpu.ServerText, CpuPerEvent.Column(apiCpu, floorCpu)));
        report.Details.Add($"Steps of {context.Sizes.W2StepSeconds:0} s, emits in batches of {context.Sizes.W2Batch} from 16 connections (closed loop when a step asks more than they can) " +
            "(to both replicas for the API); subscribers half on each replica. A step's deliveries/s counts the events emitted during the step " +
            "(its first second left out) as their subscribers received them, and its p99 is theirs. Graceful: no later step delivers under half " +
            "the best step's rate.");
        report.Details.Add("");
        report.Details.Add("| Offered events/s | API acked/s | API deliveries/s | API p50 | API p99 | floor acked/s | floor deliveries/s | floor p50 | floor p99 |");
        report.Details.Add("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (var i = 0; i < api.Steps.Count; i++)
        {
            var a = api.Steps[i];
            var f = i < floor.Steps.Count ? floor.Steps[i] : null;
            report.Details.Add($"| {a.Offered:N0} | {a.Acked:N0} | {a.Deliveries:N0} | {Format.Ms(a.Latency.P50)} | {Format.Ms(a.Latency.P99)} | " +
                $"{f?.Acked.ToString("N0", CultureInfo.InvariantCulture) ?? "—"} | {f?.Deliveries.ToString("N0", CultureInfo.InvariantCulture) ?? "—"} | " +
                $"{(f is null ? "—" : Format.Ms(f.Latency.P50))} | {(f is null ? "—" : Format.Ms(f.Latency.P99))} |");
        }

        report.Details.Add("");
        foreach (var (label, outcome) in new[] { ("Kavach API", api), ("floor", floor) })
        {
            report.Details.Add($"**{label}**: missing/dup/order {outcome.Subscribers.Correctness}; reconnects {outcome.Subscribers.Reconnects}; " +
                $"stream ends {outcome.Subscribers.Ends}; emits {outcome.Emit.StatusText}; server {outcome.Cpu.ServerText}; " +
                $"generators {outcome.Cpu.GeneratorText(context.Options.Pin)}; machine {outcome.Cpu.MachineText}.");
        }

        report.Details.Add(apiCpu.Text + " Every step together.");
        report.Details.Add(floorCpu.Text);
    }

    private sealed record Step(double Offered, double Acked, double Deliveries, Latency Latency);

    private sealed record Outcome(IReadOnlyList<Step> Steps, Step Best, bool Graceful, SubscriberTotals Subscribers, EmitTotals Emit, CpuReading Cpu);

    private static async Task<Outcome> MeasureAsync(SuiteContext context, WorkloadReport report, Target target, string name)
    {
        var sizes = context.Sizes;
        var head = await target.HeadAsync();
        // Subscribers bucket each event by its emit time on a 250 ms grid, and each step starts on that grid, so that
        // a step's buckets hold exactly the events emitted during it.
        var bucketNanos = BucketMilliseconds * 1_000_000;
        var origin = Now() / bucketNanos * bucketNanos;
        var subscribers = await context.StartSubscribersAsync(name, target.AllUrls, sizes.W2Subscribers, head, minimumProcesses: 2,
            extra: ["--origin", SuiteContext.Text(origin), "--bucket-ms", SuiteContext.Text(BucketMilliseconds), "--buffer", "65536"]);
        try
        {
            var schedule = string.Join(',', sizes.W2Steps.Select(r => $"{SuiteContext.Text(r)}:{SuiteContext.Text(sizes.W2StepSeconds)}"));
            context.Log($"  {target.Name}: steps {schedule}");
            var startAt = (Now() + 1_500_000_000) / bucketNanos * bucketNanos + bucketNanos;
            var emitter = context.StartEmitter($"{name}-emit", target.AllUrls, 16, sizes.W2Batch,
                $"--steps {schedule} --start-at {SuiteContext.Text(startAt)}", 0);
            await using (emitter)
            {
                var meter = context.Meter(target, [emitter, .. subscribers]);
                var emit = EmitTotals.From(await emitter.ResultAsync(TimeSpan.FromSeconds(sizes.W2Steps.Count * sizes.W2StepSeconds + 120)));
                var cpu = meter.Stop();
                var end = await target.HeadAsync();
                var (totals, summaries) = await context.StopSubscribersAsync(subscribers, end);
                report.Violations += totals.Violations + Math.Abs(end - head - emit.AckedTotal);
                report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);

                var steps = Steps(emit.Phases, summaries, origin, skip: sizes.Quick ? 0.5 : 1.0);
                var healthy = steps.Where(s => s.Latency.Count > 0 && s.Latency.P99 < 1000).ToList();
                var best = healthy.Count > 0 ? healthy.MaxBy(s => s.Deliveries)! : new Step(0, 0, 0, new Latency());
                var after = steps.SkipWhile(s => !ReferenceEquals(s, best)).Skip(1).ToList();
                var graceful = best.Deliveries > 0 && after.All(s => s.Deliveries >= 0.5 * best.Deliveries);
                return new Outcome(steps, best, graceful, totals, emit, cpu);
            }
        }
        finally
        {
            await Task.WhenAll(subscribers.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    private static List<Step> Steps(JsonElement phases, IReadOnlyList<JsonElement> summaries, long origin, double skip)
    {
        var bucketNanos = BucketMilliseconds * 1_000_000;
        var buckets = new Dictionary<long, Latency>();
        foreach (var summary in summaries)
        {
            if (summary.TryGetProperty("buckets", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var bucket in list.EnumerateArray())
                {
                    var index = bucket.GetProperty("index").GetInt64();
                    if (!buckets.TryGetValue(index, out var latency))
                    {
                        buckets[index] = latency = new Latency();
                    }

                    latency.Add(bucket.GetProperty("latency"));
                }
            }
        }

        var steps = new List<Step>();
        foreach (var phase in phases.EnumerateArray().Where(p => p.GetProperty("measured").GetBoolean()))
        {
            // Deliveries: every event emitted in the step; latency: leaving out its first moments (the change of rate).
            var start = phase.GetProperty("startNanos").GetInt64();
            var end = phase.GetProperty("endNanos").GetInt64();
            var first = (start - origin + bucketNanos / 2) / bucketNanos;
            var last = (end - origin + bucketNanos / 2) / bucketNanos; // exclusive
            var settled = first + (long)Math.Round(skip * 1000 / BucketMilliseconds);
            long delivered = 0;
            var merged = new Latency();
            for (var i = first; i < last; i++)
            {
                if (buckets.TryGetValue(i, out var latency))
                {
                    delivered += latency.Count;
                    if (i >= settled)
                    {
                        merged.Add(latency);
                    }
                }
            }

            var seconds = phase.GetProperty("seconds").GetDouble();
            steps.Add(new Step(phase.GetProperty("rate").GetDouble(), phase.GetProperty("acked").GetInt64() / seconds,
                delivered / seconds, merged));
        }

        return steps;
    }

    private static long Now() => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
}
