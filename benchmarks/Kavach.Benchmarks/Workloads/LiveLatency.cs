using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// The shape of W1, fan-out and X: subscribers connect and are checked from the head; emitters send one event per
/// request at a fixed rate; each event's emit→receive latency is measured by its subscribers from the stamp the
/// emitter put in its data.
/// </summary>
public static class LiveLatency
{
    /// <param name="Groups">What each group of subscribers saw, by the group's name.</param>
    /// <param name="Idle">The servers' CPU with the subscribers connected and nothing emitted, when asked for.</param>
    public sealed record Outcome(SubscriberTotals Subscribers, IReadOnlyDictionary<string, SubscriberTotals> Groups, EmitTotals Emit, CpuReading Cpu,
        long Events, CpuReading? Idle, double Rate, double Seconds)
    {
        /// <summary>What the emitters achieved of the rate asked (paced emitters fall behind when answers are slow).</summary>
        public double Offered => Events / (Rate * Seconds);
    }

    /// <param name="subscriberGroups">Subscriber processes to start: name, URLs, count.</param>
    /// <param name="alsoMetered">Generators already running whose CPU counts too (W7's webhook receiver).</param>
    public static async Task<Outcome> RunAsync(SuiteContext context, WorkloadReport report, Target target, string name,
        IReadOnlyList<(string Name, string Urls, int Count)> subscriberGroups, string emitUrls, int emitConnections, double rate, double seconds,
        int minimumProcesses = 2, double idleSeconds = 0, IReadOnlyList<Generator>? alsoMetered = null)
    {
        var head = await target.HeadAsync();
        var subscribers = new List<Generator>();
        var groups = new List<(string Name, List<Generator> Generators)>();
        try
        {
            foreach (var (group, urls, count) in subscriberGroups)
            {
                var started = await context.StartSubscribersAsync($"{name}-{group}", urls, count, head,
                    minimumProcesses: count >= 200 ? minimumProcesses : 1, extra: ["--buffer", "16384"]);
                subscribers.AddRange(started);
                groups.Add((group, started));
            }

            CpuReading? idle = null;
            if (idleSeconds > 0)
            {
                var idleMeter = context.Meter(target, subscribers);
                await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
                idle = idleMeter.Stop();
            }

            context.Log($"  {target.Name}: {subscriberGroups.Sum(g => g.Count):N0} subscribers connected; emitting {rate:N0}/s for {seconds:0} s");
            var emitter = context.StartEmitter($"{name}-emit", emitUrls, emitConnections, 1,
                $"--rate {SuiteContext.Text(rate)} --duration {SuiteContext.Text(seconds)}", 0);
            await using (emitter)
            {
                var meter = context.Meter(target, [emitter, .. subscribers, .. alsoMetered ?? []]);
                var emit = EmitTotals.From(await emitter.ResultAsync(TimeSpan.FromSeconds(seconds + 120)));
                var cpu = meter.Stop();
                var end = await target.HeadAsync();
                var (totals, summaries) = await context.StopSubscribersAsync(subscribers, end);
                report.Violations += totals.Violations + Math.Abs(end - head - emit.AckedTotal);
                report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
                var byGroup = groups.ToDictionary(g => g.Name,
                    g => SubscriberTotals.From([.. g.Generators.Select(generator => summaries[subscribers.IndexOf(generator)])]));
                return new Outcome(totals, byGroup, emit, cpu, end - head, idle, rate, seconds);
            }
        }
        finally
        {
            await Task.WhenAll(subscribers.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    public const string Delivered = "delivered event";

    /// <summary>Keeps the stretch's CPU per delivered event (each subscriber's copy counts) in the report and returns it.</summary>
    public static CpuPerEvent PerDelivery(WorkloadReport report, string label, Outcome outcome) =>
        report.AddCpuPerEvent(label, Delivered, outcome.Subscribers.Events, outcome.Cpu);

    public static string Describe(string label, Outcome outcome, bool pinned) =>
        $"**{label}**: emit→receive {outcome.Subscribers.Latency}; {outcome.Events:N0} events " +
        $"({outcome.Offered * 100:0}% of the {outcome.Rate:N0}/s asked{(outcome.Offered < 0.95 ? " ⚠ the emitters fell behind: answers too slow for the pace" : "")}) " +
        $"to {outcome.Subscribers.Connections:N0} subscribers " +
        $"({outcome.Subscribers.Events:N0} deliveries); emits {outcome.Emit.StatusText}, request latency {outcome.Emit.RequestLatency}; " +
        $"missing/dup/order {outcome.Subscribers.Correctness}, reconnects {outcome.Subscribers.Reconnects}, stream ends {outcome.Subscribers.Ends}; " +
        $"server {outcome.Cpu.ServerText}; generators {outcome.Cpu.GeneratorText(pinned)}; machine {outcome.Cpu.MachineText}.";
}
