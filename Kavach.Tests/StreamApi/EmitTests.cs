using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.Tests.Support;

namespace Kavach.Tests.StreamApi;

[TestClass]
public sealed class EmitTests
{
    private static Uri Api => KavachSystem.StreamApi;

    private static string NewAgent() => $"agent-{Guid.NewGuid():N}";

    [TestMethod]
    public async Task EmitAnswers201WithStoredSequencesAfterCommit()
    {
        var agent = NewAgent();
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());
        var emitted = await emitter.EmitAsync(
            EventsClient.Event("agent.created", agent, new { name = "bot" }),
            EventsClient.Event("agent.rotated", agent));

        Assert.HasCount(2, emitted);
        Assert.IsTrue(emitted[1].Sequence > emitted[0].Sequence);

        // Acknowledged means committed: readable at once, from any replica.
        using var reader = new EventsClient(KavachSystem.StreamApiReplicas[1], Tokens.Reader());
        var stored = await reader.PageAllAsync(agent);
        CollectionAssert.AreEqual(emitted.Select(e => e.Sequence).ToList(), stored.Select(e => e.GetProperty("sequence").GetInt64()).ToList());
        Assert.AreEqual("bot", stored[0].GetProperty("data").GetProperty("name").GetString());
        Assert.AreEqual(emitted[0].Timestamp, stored[0].GetProperty("timestamp").GetDateTimeOffset());
    }

    [TestMethod]
    public async Task EmitKeepsGivenIdAndTimestamp()
    {
        var agent = NewAgent();
        var id = $"evt-{Guid.NewGuid():N}";
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());
        var body = EventsClient.Event("audit", agent, id: id);
        body["timestamp"] = "2026-01-15T10:00:00.123456+02:00";
        body["userId"] = "user-7";
        var emitted = await emitter.EmitAsync(body);

        Assert.AreEqual(id, emitted[0].Id);
        Assert.AreEqual(DateTimeOffset.Parse("2026-01-15T08:00:00.123456Z", System.Globalization.CultureInfo.InvariantCulture), emitted[0].Timestamp);
        var stored = (await new EventsClient(Api, Tokens.Reader()).PageAllAsync(agent)).Single();
        Assert.AreEqual("user-7", stored.GetProperty("userId").GetString());
    }

    [TestMethod]
    public async Task SameIdTwiceIsStoredOnceAndAnswersWithTheOriginalSequence()
    {
        var agent = NewAgent();
        var id = $"retry-{Guid.NewGuid():N}";
        using var emitter = new EventsClient(KavachSystem.StreamApiReplicas[0], Tokens.EmitterAndReader());
        using var otherReplica = new EventsClient(KavachSystem.StreamApiReplicas[1], Tokens.EmitterAndReader());

        var first = await emitter.EmitAsync(EventsClient.Event("auth.signin", agent, id: id));
        var again = await otherReplica.EmitAsync(EventsClient.Event("auth.signin", agent, id: id));

        Assert.AreEqual(first[0], again[0]);
        Assert.HasCount(1, await emitter.PageAllAsync(agent));
    }

    [TestMethod]
    public async Task ConcurrentEmitsOfTheSameIdsOnBothReplicasAreStoredOnceAndAllAnsweredWithThoseSequences()
    {
        // Many callers at once (so they share group commits), half of them retrying the other half's ids, on both replicas.
        var agent = NewAgent();
        var ids = Enumerable.Range(0, 40).Select(i => $"group-{Guid.NewGuid():N}").ToList();
        var clients = KavachSystem.StreamApiReplicas.Select(r => new EventsClient(r, Tokens.EmitterAndReader())).ToList();
        try
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 160).Select(async i =>
            {
                var id = ids[i % ids.Count];
                var emitted = await clients[i % clients.Count].EmitAsync(EventsClient.Event("audit", agent, id: id));
                return (Id: id, emitted[0].Sequence);
            }));

            var stored = await clients[0].PageAllAsync(agent);
            Assert.HasCount(ids.Count, stored, "each id stored once");
            var storedSequence = stored.ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("sequence").GetInt64());
            foreach (var (id, sequence) in answers)
            {
                Assert.AreEqual(storedSequence[id], sequence, $"every answer for {id} names its one stored sequence");
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [TestMethod]
    public async Task EmitWithoutTokenIs401AndWithoutScopeIs403()
    {
        using var anonymous = new EventsClient(Api);
        using var reader = new EventsClient(Api, Tokens.Reader());
        var agent = NewAgent();

        using var unauthorized = await anonymous.PostAsync(EventsClient.Event("audit", agent));
        using var forbidden = await reader.PostAsync(EventsClient.Event("audit", agent));

        Assert.AreEqual(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.AreEqual("Bearer error=\"invalid_token\"", unauthorized.Headers.WwwAuthenticate.ToString());
        Assert.AreEqual(HttpStatusCode.Forbidden, forbidden.StatusCode);
        StringAssert.Contains(await forbidden.Content.ReadAsStringAsync(), "events:emit");
        Assert.IsEmpty(await reader.PageAllAsync(agent));
    }

    [TestMethod]
    public async Task InvalidBatchIs400NamingEachFieldAndStoresNothing()
    {
        var agent = NewAgent();
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());
        var batch = new JsonArray(
            EventsClient.Event("agent.created", agent),
            new JsonObject { ["type"] = "agent.exploded", ["agentId"] = agent },
            new JsonObject { ["agentId"] = agent, ["data"] = new JsonArray(1, 2) },
            new JsonObject { ["type"] = "audit", ["agentId"] = agent, ["timestamp"] = "last tuesday", ["agentid"] = "typo" });

        using var response = await emitter.PostAsync(batch);
        var body = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, body);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        foreach (var field in new[] { "[1].type", "[2].type", "[2].data", "[3].timestamp", "[3].agentid" })
        {
            Assert.IsTrue(errors.TryGetProperty(field, out _), $"{field} is not named in {body}");
        }

        Assert.IsFalse(errors.TryGetProperty("[0].type", out _));
        Assert.IsEmpty(await emitter.PageAllAsync(agent), "a rejected batch stored something");
    }

    [TestMethod]
    [DataRow("not json")]
    [DataRow("42")]
    [DataRow("[]")]
    public async Task MalformedBodyIs400(string body)
    {
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());
        using var response = await emitter.Http.PostAsync("/api/kavach/events", new StringContent(body, MediaTypeHeaderValue.Parse("application/json")));
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [TestMethod]
    public async Task OversizeEventOrBatchIs413AndStoresNothing()
    {
        var agent = NewAgent();
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());

        using var bigEvent = await emitter.PostAsync(EventsClient.Event("audit", agent, new { blob = new string('x', 70 * 1024) }));
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, bigEvent.StatusCode);

        var manySmall = new JsonArray([.. Enumerable.Range(0, 40).Select(_ => (JsonNode)EventsClient.Event("audit", agent, new { blob = new string('y', 30 * 1024) }))]);
        using var bigBatch = await emitter.PostAsync(manySmall);
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, bigBatch.StatusCode);

        var tooMany = new JsonArray([.. Enumerable.Range(0, 1001).Select(_ => (JsonNode)EventsClient.Event("audit", agent))]);
        using var longBatch = await emitter.PostAsync(tooMany);
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, longBatch.StatusCode);

        Assert.IsEmpty(await emitter.PageAllAsync(agent));
    }

    [TestMethod]
    public async Task DuplicateIdWithinOneBatchIs400()
    {
        var agent = NewAgent();
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());
        using var response = await emitter.PostAsync(new JsonArray(
            EventsClient.Event("audit", agent, id: "same"), EventsClient.Event("audit", agent, id: "same")));
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        StringAssert.Contains(await response.Content.ReadAsStringAsync(), "[1].id");
    }

    [TestMethod]
    public async Task PagingWalksAscendingWithNextCursor()
    {
        var agent = NewAgent();
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());
        var emitted = await emitter.EmitAsync([.. Enumerable.Range(0, 25).Select(i => EventsClient.Event("cost.recorded", agent, new { i }))]);

        var pages = await emitter.PageAllAsync(agent, limit: 10);

        CollectionAssert.AreEqual(emitted.Select(e => e.Sequence).ToList(), pages.Select(p => p.GetProperty("sequence").GetInt64()).ToList());
    }

    [TestMethod]
    public async Task ReplayEndpointReturnsNewestFirstSinceTimestampFilteredByType()
    {
        var agent = NewAgent();
        using var emitter = new EventsClient(Api, Tokens.EmitterAndReader());
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        await emitter.EmitAsync(
            EventsClient.Event("budget.exceeded", agent), EventsClient.Event("audit", agent), EventsClient.Event("budget.exceeded", agent));

        var replay = await emitter.GetJsonAsync($"/api/kavach/events/replay?since={Uri.EscapeDataString(since.ToString("O"))}&types=budget.exceeded");
        var ours = replay.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("agentId").GetString() == agent).ToList();

        Assert.HasCount(2, ours);
        Assert.IsTrue(ours[0].GetProperty("sequence").GetInt64() > ours[1].GetProperty("sequence").GetInt64(), "newest first");
        Assert.IsTrue(replay.GetProperty("events").EnumerateArray().All(e => e.GetProperty("type").GetString() == "budget.exceeded"));
    }

    [TestMethod]
    public async Task ReplayWithoutSinceIs400()
    {
        using var reader = new EventsClient(Api, Tokens.Reader());
        using var response = await reader.Http.GetAsync("/api/kavach/events/replay");
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
