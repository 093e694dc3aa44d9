using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Processes;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// A reader asking for the most at once: twelve concurrent maximum-size pages (1,000 events of 60 KiB, about 60 MB
/// each). A replica must answer each with the whole page or a 429, stay healthy within its 1 GiB heap, and — since
/// pages are written as they are read — grow by about a row per page, not a page.
/// </summary>
[TestClass]
public sealed class PageMemoryAttacks
{
    private const int Concurrent = 12;
    private const int PageSize = 1000;
    private const int EventDataBytes = 60 * 1024;
    private static readonly string Agent = $"big-pages-{Guid.NewGuid():N}"[..24];

    private static AttackCluster Cluster => AttackSuite.Cluster;

    [ClassInitialize]
    public static async Task EmitAsync(TestContext context)
    {
        using var emitter = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter("big-pages-emitter"));
        var blob = new string('x', EventDataBytes);
        const int Batch = 15; // 15 × 60 KiB stays under the 1 MiB request limit
        for (var emitted = 0; emitted < PageSize; emitted += Batch)
        {
            await emitter.EmitOkAsync([.. Enumerable.Range(0, Math.Min(Batch, PageSize - emitted))
                .Select(_ => Api.Event("audit", Agent, data: new JsonObject { ["blob"] = blob }))]);
        }
    }

    [TestMethod]
    public async Task TwelveConcurrentMaximumPagesOnDefaultLimitsAreEachWholeOrRefused()
    {
        var replica = await Cluster.StartReplicaAsync("pages-defaults", new Dictionary<string, string>());
        try
        {
            var run = await ReadConcurrentlyAsync(replica);
            Findings.Record("12 concurrent max pages, default limits", run.Describe());

            Assert.IsTrue(run.Healthy, $"the replica is not healthy after the pages: {run.Health}\n{replica.LogTail()}");
            Assert.IsTrue(run.Answers.All(a => a.Status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests), run.Describe());
            Assert.IsTrue(run.Answers.Any(a => a.Status == HttpStatusCode.OK), run.Describe());
            foreach (var refused in run.Answers.Where(a => a.Status == HttpStatusCode.TooManyRequests))
            {
                Assert.AreEqual("Kavach:Limits:Pages:Concurrent", Refusal.LimitOf(refused.Refusal!));
            }

            Assert.IsTrue(run.Answers.Where(a => a.Status == HttpStatusCode.OK).All(a => a.Events == PageSize), run.Describe());
            Assert.IsLessThan(512.0, run.Memory, $"RSS grew by {run.Memory:F0} MiB");
        }
        finally
        {
            await replica.StopAsync();
        }
    }

    [TestMethod]
    public async Task TwelveMaximumPagesStreamedAllAtOnceAddUnder256MiB()
    {
        // Every page admitted at once: what is measured is the streaming itself, not the limit in front of it.
        var replica = await Cluster.StartReplicaAsync("pages-all-at-once", new Dictionary<string, string>
        {
            ["Kavach__Database__HistoryPoolSize"] = "20",
            ["Kavach__Limits__Pages__Concurrent"] = Concurrent.ToString(CultureInfo.InvariantCulture),
            ["Kavach__Limits__Pages__Queue"] = "0",
            ["Kavach__Limits__Pages__PerSubject"] = "0",
            ["Kavach__Limits__Pages__PerAddress"] = "0",
        });
        try
        {
            var run = await ReadConcurrentlyAsync(replica);
            Findings.Record("12 concurrent max pages, all admitted at once", run.Describe());

            Assert.IsTrue(run.Healthy, $"the replica is not healthy after the pages: {run.Health}\n{replica.LogTail()}");
            Assert.IsTrue(run.Answers.All(a => a.Status == HttpStatusCode.OK && a.Events == PageSize), run.Describe());
            Assert.IsLessThan(256.0, run.Memory, $"RSS grew by {run.Memory:F0} MiB");
        }
        finally
        {
            await replica.StopAsync();
        }
    }

    private sealed record PageAnswer(HttpStatusCode Status, int Events, bool Whole, Answer? Refusal, string? Error);

    private sealed record Run(IReadOnlyList<PageAnswer> Answers, double Memory, long BaselineBytes, bool Healthy, string Health, TimeSpan Took)
    {
        public string Describe()
        {
            var statuses = string.Join(", ", Answers.GroupBy(a => a.Error is null ? ((int)a.Status).ToString(CultureInfo.InvariantCulture) : "failed")
                .OrderBy(g => g.Key).Select(g => $"{g.Count()}× {g.Key}"));
            var whole = Answers.Count(a => a.Status == HttpStatusCode.OK && a.Whole && a.Events == PageSize);
            var limits = Answers.Where(a => a.Refusal is not null).Select(a => Refusal.Describe(a.Refusal!)).Distinct();
            var errors = Answers.Where(a => a.Error is not null).Select(a => a.Error).Distinct().Take(2);
            return $"{statuses} ({whole} whole pages of {PageSize}){(limits.Any() ? $"; {string.Join("; ", limits)}" : "")}" +
                $"{(errors.Any() ? $"; errors: {string.Join("; ", errors)}" : "")}; RSS +{Memory:F0} MiB over {BaselineBytes / (1024 * 1024)} MiB " +
                $"in {Took.TotalSeconds:F1} s; {(Healthy ? "healthy after" : $"NOT healthy after ({Health})")}";
        }
    }

    private static async Task<Run> ReadConcurrentlyAsync(ApiReplica replica)
    {
        using var reader = new Api(replica.BaseAddress, Forge.Reader("big-pages-reader"));
        var path = $"{Api.Events}?agentId={Agent}&limit={PageSize}";
        (await reader.GetAsync($"{Api.Events}?agentId={Agent}&limit=5")).ToString(); // warm: the first request's JIT is not the attack
        await PeakMemory.SettledAsync(replica.Pid!.Value, TimeSpan.FromSeconds(5));

        var started = System.Diagnostics.Stopwatch.StartNew();
        PageAnswer[] answers;
        double growth;
        long baseline;
        await using (var memory = PeakMemory.Watch(replica.Pid!.Value))
        {
            answers = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => ReadPageAsync(reader.Http, path)));
            growth = memory.GrowthMiB;
            baseline = memory.Baseline;
        }

        var took = started.Elapsed;
        string health;
        try
        {
            health = replica.IsRunning ? ((int)(await reader.GetAsync("/health")).Status).ToString(CultureInfo.InvariantCulture) : "exited";
        }
        catch (HttpRequestException e)
        {
            health = e.Message;
        }

        return new Run(answers, growth, baseline, health == "200", health, took);
    }

    /// <summary>One page, read as a stream and parsed to the end: whole (well-formed, every event) or not.</summary>
    private static async Task<PageAnswer> ReadPageAsync(HttpClient http, string path)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new PageAnswer(response.StatusCode, 0, false, await Api.ReadAsync(response), null);
            }

            await using var body = await response.Content.ReadAsStreamAsync();
            using var page = await JsonDocument.ParseAsync(body);
            var events = page.RootElement.GetProperty("events").GetArrayLength();
            var whole = page.RootElement.TryGetProperty("next", out _);
            return new PageAnswer(response.StatusCode, events, whole, null, null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or TaskCanceledException)
        {
            return new PageAnswer(0, 0, false, null, e.GetType().Name);
        }
    }
}
