using System.Collections.Concurrent;
using System.Text.Json;
using Kavach.Client;
using Kavach.Contracts;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kavach.UnitTests.Client;

/// <summary>Emit's safe retries and typed refusals, and history paging, against a fake API.</summary>
[TestClass]
public sealed class KavachClientEmitTests
{
    private const string EventsPath = "/api/kavach/events";

    [TestMethod]
    public async Task RetriesAnAmbiguousCommitWithTheSameIds()
    {
        var bodies = new ConcurrentQueue<JsonElement>();
        await using var api = await FakeApi.StartAsync(app => app.MapPost(EventsPath, async context =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            bodies.Enqueue(body);
            var ids = body.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToArray();
            if (bodies.Count == 1)
            {
                context.Response.StatusCode = 503;
                context.Response.Headers.RetryAfter = "0";
                await context.Response.WriteAsJsonAsync(new { title = "Outcome unknown", status = 503, ids, mayBeStored = true });
                return;
            }

            context.Response.StatusCode = 201;
            await context.Response.WriteAsJsonAsync(new { events = ids.Select((id, i) => new { id, sequence = 100 + i, timestamp = "2026-11-28T09:00:00Z" }) });
        }));

        var emitted = await Client(api).EmitBatchAsync([new NewEvent(KavachEventTypes.Audit, new { n = 1 }), new NewEvent(KavachEventTypes.CostRecorded, Id: "mine")]);

        var sent = bodies.ToArray();
        Assert.HasCount(2, sent);
        Assert.AreEqual(sent[0].GetRawText(), sent[1].GetRawText(), "the retry is the same request, ids included");
        Assert.AreEqual("mine", emitted[1].Id);
        Assert.IsTrue(Guid.TryParse(emitted[0].Id, out var generated) && generated.Version == 7, "a UUID v7 made by the client");
        CollectionAssert.AreEqual(new long[] { 100, 101 }, emitted.Select(e => e.Sequence).ToArray());
    }

    [TestMethod]
    public async Task GivesUpAfterItsAttemptsWithTheIdsToRetryLater()
    {
        await using var api = await FakeApi.StartAsync(app => app.MapPost(EventsPath, async context =>
        {
            context.Response.StatusCode = 503;
            await context.Response.WriteAsJsonAsync(new { title = "Service unavailable", status = 503, ids = new[] { "a" }, mayBeStored = false });
        }));

        var failed = await Assert.ThrowsExactlyAsync<KavachUnavailableException>(() => Client(api, attempts: 3).EmitAsync(new NewEvent(KavachEventTypes.Audit, Id: "a")));

        CollectionAssert.AreEqual(new[] { "a" }, failed.Ids.ToArray());
        Assert.IsFalse(failed.MayBeStored, "every answer said nothing was stored");
    }

    [TestMethod]
    public async Task RefusedFieldsAndSizesAreTypedAndNotRetried()
    {
        var attempts = 0;
        await using var api = await FakeApi.StartAsync(app => app.MapPost(EventsPath, async context =>
        {
            Interlocked.Increment(ref attempts);
            var single = (await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body)).ValueKind == JsonValueKind.Object;
            context.Response.StatusCode = single ? 400 : 413;
            await context.Response.WriteAsJsonAsync(single
                ? new { title = "The request has invalid fields", status = 400, errors = new Dictionary<string, string[]> { ["type"] = ["Unknown type 'nope'."] } }
                : (object)new { title = "Too large", status = 413, detail = "More than MaxBatchSize events." });
        }));

        var invalid = await Assert.ThrowsExactlyAsync<KavachRequestException>(() => Client(api).EmitAsync(new NewEvent("nope")));
        var tooLarge = await Assert.ThrowsExactlyAsync<KavachRequestException>(() => Client(api).EmitBatchAsync([new NewEvent(KavachEventTypes.Audit)]));

        Assert.AreEqual(400, invalid.Status);
        CollectionAssert.AreEqual(new[] { "Unknown type 'nope'." }, invalid.Problem!.Errors!["type"]);
        Assert.AreEqual(413, tooLarge.Status);
        Assert.AreEqual(2, attempts, "one attempt each");
    }

    [TestMethod]
    public async Task HistoryFollowsNextUntilThereIsNothingMore()
    {
        var queries = new ConcurrentQueue<string>();
        await using var api = await FakeApi.StartAsync(app => app.MapGet(EventsPath, async context =>
        {
            queries.Enqueue(context.Request.QueryString.Value!);
            var after = long.Parse(context.Request.Query["after"]!, System.Globalization.CultureInfo.InvariantCulture);
            var events = after < 4 ? new[] { after + 1, after + 2 } : [];
            await context.Response.WriteAsJsonAsync(new
            {
                events = events.Select(s => new { id = $"e{s}", type = s % 2 == 0 ? "auth.failed" : "audit", timestamp = "2026-11-28T09:00:00Z", data = new { }, sequence = s }),
                next = after < 4 ? after + 2 : (long?)null,
            });
        }));

        var events = new List<KavachEvent>();
        await foreach (var e in Client(api).ReadHistoryAsync(new HistoryQuery { PageSize = 2, AgentId = "agent-7" }))
        {
            events.Add(e);
        }

        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4 }, events.Select(e => e.Sequence).ToArray());
        Assert.IsInstanceOfType<AuthFailed>(events[1]);
        Assert.IsNull(events[0].Position);
        CollectionAssert.AreEqual(new[] { "?after=0&limit=2&agentId=agent-7", "?after=2&limit=2&agentId=agent-7", "?after=4&limit=2&agentId=agent-7" }, queries.ToArray());
    }

    private static KavachClient Client(FakeApi api, int attempts = 5) => new(new HttpClient(), new KavachClientOptions
    {
        BaseAddress = api.Address,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(10),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        EmitAttempts = attempts,
    });
}
