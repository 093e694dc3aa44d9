using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W7, push delivery (issue 21): webhooks to a fast local receiver (Kavach.LoadGen <c>webhook-sink</c>, verifying every
/// signature). One endpoint draining a backlog gives the one-destination rate (each delivery waits for the previous one's
/// answer); 1,000 endpoints, first draining a burst and then following a paced stream, give the many-destination rate and
/// how far behind the head each stays; W1's subscribers and measuring, without and then with those webhooks, give the
/// cost to live streams.
/// </summary>
public sealed class PushDelivery : IWorkload
{
    private const string One = "/one/";
    private const string Many = "/many/";
    private const string Delivery = "webhook delivery";

    public string Title => "W7 — push delivery: webhooks to one endpoint, to 1,000, and their cost to live streams";

    public string Goal => "≥ 5,000 deliveries/s to one endpoint; ≥ 1,000 endpoints within 5 s of the head; live p99 with webhooks ≤ 1.5× without";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        await using var receiver = await WebhookReceiver.StartAsync(context, "webhook-sink");
        using var admin = AdminClient(context, context.Cluster.Api);
        var created = new List<Guid>();
        try
        {
            await OneEndpointAsync(context, report, admin, receiver, created);
            await ManyEndpointsAsync(context, report, admin, receiver, created);
        }
        finally
        {
            // Later workloads must not share the replicas with a thousand senders.
            foreach (var id in created)
            {
                using var deleted = await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{id}");
            }
        }
    }

    private static async Task OneEndpointAsync(SuiteContext context, WorkloadReport report, HttpClient admin, WebhookReceiver receiver, List<Guid> created)
    {
        var api = context.Cluster.Api;
        var backlog = context.Sizes.WebhookBacklog;
        var before = await api.HeadAsync();
        context.Log($"  one endpoint: seeding {backlog:N0} events, then one webhook drains them from #{before + 1}");
        await ResumeBehind.SeedAsync(context, api, backlog);
        var head = await api.HeadAsync();

        // Created at the head (nothing to send), its secret given to the receiver, then rewound: no delivery can arrive
        // before the receiver can verify it.
        var path = One + "0";
        var (id, secret) = await CreateAsync(admin, receiver.Url(path), head + 1, created);
        await receiver.RegisterSecretsAsync(new Dictionary<string, string[]> { [path] = [secret] });
        var meter = context.Meter(api, [receiver.Process]);
        var started = Stopwatch.GetTimestamp();
        using (var rewound = await admin.PostAsJsonAsync($"{KavachRoutes.Webhooks}/{id}/redeliver", new RedeliverRequest(before + 1), KavachJson.Options))
        {
            await EnsureAsync(rewound, "redeliver");
        }

        var (stats, _) = await WaitForAsync(context, receiver, One, s => s.AllReached(head, 1), TimeSpan.FromSeconds(60 + backlog / 500.0));
        var cpu = meter.Stop();
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var endpoint = stats.Endpoints.SingleOrDefault() ?? new EndpointStats(path, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        var expected = head - before;
        var unseen = Math.Max(0, expected - (endpoint.Events - endpoint.Duplicates));
        var rate = endpoint.Events > 1 ? (endpoint.Events - 1) / ((endpoint.LastNanos - endpoint.FirstNanos) / 1e9) : 0;
        report.Violations += unseen + stats.Missing + stats.OutOfOrder + stats.BadSignatures + stats.Unreadable;
        report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
        var perDelivery = report.AddCpuPerEvent("Kavach API, one webhook", Delivery, endpoint.Events, cpu);
        report.Rows.Add(new ResultRow($"W7 deliveries/s to one endpoint (a backlog of {expected:N0})", "≥ 5,000/s (first goal)",
            Format.Rate(rate), $"from the redeliver request: {Format.Rate(expected / wall)}", "—",
            rate >= 5000 ? Verdict.Met : Verdict.NotMet, stats.Correctness + (unseen > 0 ? $", {unseen} never arrived" : ""),
            cpu.GeneratorText(context.Options.Pin), cpu.ServerText, CpuPerEvent.Column(perDelivery)));
        report.Details.Add($"**One endpoint**: {expected:N0} events seeded in batches of 100, then one webhook (created at the head, " +
            $"its secret registered with the receiver, then rewound with `POST …/redeliver`) drained them in order, one request " +
            $"at a time: {Format.Rate(rate)} from its first delivery to its last, {wall:0.0} s from the redeliver request " +
            $"(which includes the engine noticing the rewound cursor). Events older than the live buffer come from PostgreSQL. " +
            $"{endpoint.Events:N0} deliveries, {stats.Correctness} missing/dup/order, {Signatures(stats)}; " +
            $"server {cpu.ServerText}; generators {cpu.GeneratorText(context.Options.Pin)}; machine {cpu.MachineText}.");
        report.Details.Add(perDelivery.Text);
    }

    private static async Task ManyEndpointsAsync(SuiteContext context, WorkloadReport report, HttpClient admin, WebhookReceiver receiver, List<Guid> created)
    {
        var sizes = context.Sizes;
        var api = context.Cluster.Api;
        var endpoints = sizes.WebhookEndpoints;
        var subscribers = new[] { ("subs", api.AllUrls, sizes.WebhookLiveSubscribers) };
        var without = await LiveLatency.RunAsync(context, report, api, "w7-live-without", subscribers,
            api.AllUrls, 8, sizes.WebhookLiveRate, sizes.WebhookLiveSeconds, alsoMetered: [receiver.Process]);

        var from = await api.HeadAsync() + 1;
        context.Log($"  creating {endpoints:N0} webhooks from #{from}");
        var secrets = new Dictionary<string, string[]>();
        for (var i = 0; i < endpoints; i++)
        {
            var path = $"{Many}{i}";
            var (_, secret) = await CreateAsync(admin, receiver.Url(path), from, created);
            secrets[path] = [secret];
        }

        await receiver.RegisterSecretsAsync(secrets);

        // A burst every endpoint must drain at once: the many-destination rate.
        var burstMeter = context.Meter(api, [receiver.Process]);
        await ResumeBehind.SeedAsync(context, api, sizes.WebhookBurst);
        var burstHead = await api.HeadAsync();
        var (burst, _) = await WaitForAsync(context, receiver, Many, s => s.AllReached(burstHead, endpoints),
            TimeSpan.FromSeconds(60 + endpoints * sizes.WebhookBurst / 500.0));
        var burstCpu = burstMeter.Stop();
        var burstDeliveries = burst.Events;
        var drainRate = burst.Endpoints.Count > 0
            ? burstDeliveries / ((burst.Endpoints.Max(e => e.LastNanos) - burst.Endpoints.Min(e => e.FirstNanos)) / 1e9)
            : 0;
        var burstPerDelivery = report.AddCpuPerEvent($"Kavach API, {endpoints:N0} webhooks draining {sizes.WebhookBurst} each", Delivery, burstDeliveries, burstCpu);

        context.Log($"  {endpoints:N0} webhooks follow {sizes.WebhookLiveRate:0}/s while W1's subscribers measure");
        var with = await LiveLatency.RunAsync(context, report, api, "w7-live-with", subscribers,
            api.AllUrls, 8, sizes.WebhookLiveRate, sizes.WebhookLiveSeconds, alsoMetered: [receiver.Process]);
        var end = await api.HeadAsync();
        var caughtUp = Stopwatch.GetTimestamp();
        var (live, caughtUpInTime) = await WaitForAsync(context, receiver, Many, s => s.AllReached(end, endpoints),
            TimeSpan.FromSeconds(60 + (end - from + 1) * endpoints / 500.0));
        var behindAtEnd = Stopwatch.GetElapsedTime(caughtUp).TotalSeconds;
        var liveDeliveries = live.Events - burst.Events;
        var within = live.Endpoints.Count(e => e.Last >= end && e.MaxLatencyMicros <= sizes.WebhookWithinHead.TotalMicroseconds);
        var expected = (end - from + 1) * endpoints;
        var unseen = Math.Max(0, expected - (live.Events - live.Duplicates));
        report.Violations += unseen + live.Missing + live.OutOfOrder + live.BadSignatures + live.Unreadable;
        report.GeneratorBound |= burstCpu.GeneratorBound(context.Options.Pin);
        var livePerDelivery = report.AddCpuPerEvent($"Kavach API, {endpoints:N0} webhooks following {sizes.WebhookLiveRate:0}/s with W1's subscribers",
            Delivery, liveDeliveries, with.Cpu);

        var offered = endpoints * sizes.WebhookLiveRate;
        // What was emitted in the stretch, delivered by the time the last endpoint had it: the rate the engine kept up.
        var sustained = liveDeliveries / (with.Seconds + behindAtEnd);
        report.Rows.Add(new ResultRow($"W7 {endpoints:N0} endpoints × {sizes.WebhookLiveRate:0} events/s: endpoints within {sizes.WebhookWithinHead.TotalSeconds:0} s of the head",
            "≥ 1,000 endpoints within 5 s (first goal)",
            $"{within:N0} of {endpoints:N0} (emit→delivery {live.Latency})",
            $"{Format.Rate(sustained)} sustained of {Format.Rate(offered)} offered; a burst of {sizes.WebhookBurst} each drained at {Format.Rate(drainRate)}",
            "—", within >= 1000 ? Verdict.Met : Verdict.NotMet, live.Correctness + (unseen > 0 ? $", {unseen} never arrived" : ""),
            with.Cpu.GeneratorText(context.Options.Pin), with.Cpu.ServerText, CpuPerEvent.Column(livePerDelivery, burstPerDelivery)));

        var ratio = with.Subscribers.Latency.P99 / without.Subscribers.Latency.P99;
        report.Rows.Add(new ResultRow($"W7 live p99 with {endpoints:N0} webhooks running ({sizes.WebhookLiveSubscribers:N0} subscribers × {sizes.WebhookLiveRate:0}/s)",
            "≤ 1.5 × without (first goal)",
            $"{Format.Ms(with.Subscribers.Latency.P99)} (p50 {Format.Ms(with.Subscribers.Latency.P50)})",
            $"without {Format.Ms(without.Subscribers.Latency.P99)} (p50 {Format.Ms(without.Subscribers.Latency.P50)})",
            Format.Ratio(ratio), ratio <= 1.5 ? Verdict.Met : Verdict.NotMet, with.Subscribers.Correctness,
            with.Cpu.GeneratorText(context.Options.Pin), with.Cpu.ServerText,
            CpuPerEvent.Column(LiveLatency.PerDelivery(report, "Kavach API, with webhooks", with), LiveLatency.PerDelivery(report, "Kavach API, without", without))));

        report.Details.Add($"**{endpoints:N0} endpoints**: {endpoints:N0} webhooks created from #{from} (one path each on the receiver), then " +
            $"{sizes.WebhookBurst} events in one batch: {burstDeliveries:N0} deliveries drained at {Format.Rate(drainRate)} (first to last arrival); " +
            $"server {burstCpu.ServerText}; machine {burstCpu.MachineText}. Then {sizes.WebhookLiveRate:0} events/s for {sizes.WebhookLiveSeconds:0} s " +
            $"({Format.Rate(offered)} deliveries offered): {liveDeliveries:N0} delivered by the time the last endpoint had the last event, " +
            $"{Format.Rate(sustained)} sustained; emit→delivery {live.Latency}; " +
            $"{within:N0} endpoints never more than {sizes.WebhookWithinHead.TotalSeconds:0} s behind; " +
            (caughtUpInTime ? $"every endpoint had the last event {behindAtEnd:0.0} s after the emitters stopped. "
                : $"⚠ not every endpoint had the last event {behindAtEnd:0} s after the emitters stopped. ") +
            $"Missing/dup/order {live.Correctness}; {Signatures(live)}.");
        report.Details.Add(burstPerDelivery.Text);
        report.Details.Add(livePerDelivery.Text);
        report.Details.Add($"**Live streams**: W1's shape ({sizes.WebhookLiveSubscribers:N0} subscribers on both replicas, one emitter " +
            $"alternating replicas) at {sizes.WebhookLiveRate:0} events/s, first with no webhook, then with the {endpoints:N0} above following it.");
        report.Details.Add(LiveLatency.Describe("without webhooks", without, context.Options.Pin));
        report.Details.Add(LiveLatency.Describe($"with {endpoints:N0} webhooks", with, context.Options.Pin));
    }

    private static string Signatures(ReceiverStats stats) => stats.BadSignatures == 0
        ? "every signature verified by the receiver"
        : $"⚠ {stats.BadSignatures:N0} signatures did not verify";

    private static HttpClient AdminClient(SuiteContext context, Target api)
    {
        var http = new HttpClient { BaseAddress = api.Replicas[0], Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            KavachTokens.Issue(context.Cluster.SigningKey, "bench-webhooks", [KavachScopes.Admin], TimeSpan.FromHours(1)));
        return http;
    }

    private static async Task<(Guid Id, string Secret)> CreateAsync(HttpClient admin, string url, long fromSequence, List<Guid> created)
    {
        using var answer = await admin.PostAsJsonAsync(KavachRoutes.Webhooks,
            new WebhookRequest(Url: url, Description: "W7", FromSequence: fromSequence), KavachJson.Options);
        await EnsureAsync(answer, "create a webhook");
        var webhook = await answer.Content.ReadFromJsonAsync<WebhookCreated>(KavachJson.Options)
            ?? throw new InvalidOperationException("The API answered no webhook.");
        created.Add(webhook.Webhook.Id);
        return (webhook.Webhook.Id, webhook.Secret);
    }

    private static async Task EnsureAsync(HttpResponseMessage answer, string what)
    {
        if (!answer.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The API refused to {what} ({(int)answer.StatusCode}): {await answer.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Waits (bounded) until <paramref name="done"/>; what arrived by then either way, and whether it got there.</summary>
    private static async Task<(ReceiverStats Stats, bool Reached)> WaitForAsync(SuiteContext context, WebhookReceiver receiver, string prefix,
        Func<ReceiverStats, bool> done, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var stats = await receiver.StatsAsync(prefix);
            if (done(stats))
            {
                return (stats, true);
            }

            if (waited.Elapsed > timeout)
            {
                context.Log($"  the webhooks under {prefix} did not get there within {timeout.TotalSeconds:0} s: {stats.Endpoints.Count} endpoints seen, " +
                    $"{stats.Events:N0} deliveries, the furthest behind at #{(stats.Endpoints.Count > 0 ? stats.Endpoints.Min(e => e.Last) : 0)}");
                return (stats, false);
            }

            await Task.Delay(250);
        }
    }
}
