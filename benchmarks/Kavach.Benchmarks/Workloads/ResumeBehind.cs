using System.Net.Http.Headers;
using System.Text;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// W4: a client resumes 1,000 events behind by Last-Event-ID and is timed from its request to the 1,000th event,
/// one client at a time. Against a replica whose live buffer holds the events, against the floor, and against a
/// freshly restarted replica, whose buffer starts at the head, so the 1,000 events come from PostgreSQL.
/// </summary>
public sealed class ResumeBehind : IWorkload
{
    public string Title => "W4 — resume 1,000 events behind by Last-Event-ID: request → last event";

    private const int WarmupSamples = 5;

    public string Goal => "p99 ≤ 20 ms (from PostgreSQL: also ≤ 2 × the floor's p99)";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var api = context.Cluster.Api;
        var floor = context.Cluster.FloorTarget;
        var buffered = await MeasureAsync(context, report, api, 0, "w4-api-buffer", seed: true);
        var onFloor = await MeasureAsync(context, report, floor, 0, "w4-floor", seed: true);
        context.Log("  restarting replica 1 so that its live buffer starts at the head (the resume then reads PostgreSQL)");
        await api.RestartAsync(1);
        var history = await MeasureAsync(context, report, api, 1, "w4-api-history", seed: false);

        var floorCpu = CpuPerEvent.Column(onFloor.PerEvent);
        report.Rows.Add(new ResultRow($"W4 resume {sizes.W4Behind:N0} behind, from the live buffer", Goal,
            $"p99 {Format.Ms(buffered.Latency.P99)} (p50 {Format.Ms(buffered.Latency.P50)})",
            $"floor p99 {Format.Ms(onFloor.Latency.P99)} (p50 {Format.Ms(onFloor.Latency.P50)})",
            Format.Ratio(buffered.Latency.P99 / onFloor.Latency.P99), buffered.Latency.P99 <= 20 ? Verdict.Met : Verdict.NotMet,
            $"{buffered.Violations} violations", buffered.Cpu.GeneratorText(context.Options.Pin), buffered.Cpu.ServerText,
            CpuPerEvent.Column(buffered.PerEvent, onFloor.PerEvent)));
        report.Rows.Add(new ResultRow($"W4 resume {sizes.W4Behind:N0} behind, from PostgreSQL (fresh replica)", Goal,
            $"p99 {Format.Ms(history.Latency.P99)} (p50 {Format.Ms(history.Latency.P50)})",
            $"floor p99 {Format.Ms(onFloor.Latency.P99)}", Format.Ratio(history.Latency.P99 / onFloor.Latency.P99),
            history.Latency.P99 <= 20 && history.Latency.P99 <= 2 * onFloor.Latency.P99 ? Verdict.Met : Verdict.NotMet, $"{history.Violations} violations",
            history.Cpu.GeneratorText(context.Options.Pin), history.Cpu.ServerText, CpuPerEvent.Column(history.PerEvent, onFloor.PerEvent)));
        report.Details.Add($"{sizes.W4Samples} samples after 5 warm-up ones, one client at a time, each from just before its connect to the " +
            $"arrival of the {sizes.W4Behind:N0}th event; every event in between checked once and in order. CPU per delivered event: each " +
            "process's CPU while the client resumed (warm-up samples included) ÷ the events it received.");
    }

    private sealed record Outcome(Latency Latency, long Violations, CpuReading Cpu, CpuPerEvent PerEvent);

    private static async Task<Outcome> MeasureAsync(SuiteContext context, WorkloadReport report, Target target, int replica, string name, bool seed)
    {
        var sizes = context.Sizes;
        if (seed)
        {
            await SeedAsync(context, target, sizes.W4Behind);
        }

        var head = await target.HeadAsync();
        var generator = Generator.Start(context, name, "resume",
        [
            "--url", target.Url(replica), "--after", SuiteContext.Text(head - sizes.W4Behind), "--count", SuiteContext.Text(sizes.W4Behind),
            "--samples", SuiteContext.Text(sizes.W4Samples), "--warmup-samples", SuiteContext.Text(WarmupSamples), "--signing-key", context.Cluster.SigningKey,
            "--subject", name, "--timeout", "120",
        ]);
        await using (generator)
        {
            var meter = context.Meter(target, [generator]);
            var summary = await generator.ResultAsync(TimeSpan.FromSeconds(180));
            var cpu = meter.Stop();
            var latency = Latency.From([summary.GetProperty("latency")]);
            var violations = summary.GetProperty("violations").GetInt64() + summary.GetProperty("incomplete").GetInt64();
            report.Violations += violations;
            report.GeneratorBound |= cpu.GeneratorBound(context.Options.Pin);
            var delivered = (summary.GetProperty("samples").GetInt64() + WarmupSamples) * sizes.W4Behind;
            var perEvent = report.AddCpuPerEvent(name, LiveLatency.Delivered, delivered, cpu);
            report.Details.Add($"**{name}**: {latency}; {summary.GetProperty("bytesPerSample").GetInt64():N0} bytes per resume; " +
                $"violations {violations}; server {cpu.ServerText}; generator {cpu.GeneratorText(context.Options.Pin)}.");
            report.Details.Add(perEvent.Text);
            return new Outcome(latency, violations, cpu, perEvent);
        }
    }

    /// <summary>Emits <paramref name="count"/> events (batches of 100, the generators' event shape) so there is history to resume into.</summary>
    public static async Task SeedAsync(SuiteContext context, Target target, int count)
    {
        using var http = new HttpClient { BaseAddress = target.Replicas[0], Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            KavachTokens.Issue(context.Cluster.SigningKey, "bench-seed", [KavachScopes.Emit], TimeSpan.FromHours(1)));
        var pad = new string('x', 48);
        for (var sent = 0; sent < count; sent += 100)
        {
            var batch = Math.Min(100, count - sent);
            var body = "[" + string.Join(',', Enumerable.Range(0, batch).Select(_ =>
                $"{{\"type\":\"audit\",\"agentId\":\"bench-seed\",\"data\":{{\"t\":0,\"pad\":\"{pad}\"}}}}")) + "]";
            using var response = await http.PostAsync("/api/kavach/events", new StringContent(body, Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
    }
}
