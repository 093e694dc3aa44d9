using System.Net;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Emitters that try to speak for someone else: an agent's token writing another agent's events, an emitter cutting
/// an agent off with <c>agent.revoked</c>, an emitter taking another's idempotency id first so the real emit answers
/// with forged content.
/// </summary>
[TestClass]
public sealed class EmitterAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [TestMethod]
    public async Task AnAgentsTokenEmitsOnlyAboutItsOwnAgent()
    {
        var (agent, victim) = (Unique("agent"), Unique("victim"));
        using var api = new Api(Cluster.Replicas[0].BaseAddress, Forge.Agent(agent));
        var forged = await api.EmitAsync(Api.Event("anomaly.detected", victim));
        var batch = await api.EmitAsync(Api.Event("audit", agent), Api.Event("audit", victim));
        var own = await api.EmitAsync(Api.Event("audit")); // no agentId: it is filled in
        var stored = await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events WHERE agent_id = $1", victim);
        Findings.Record("agent token emits as another agent",
            $"single {(int)forged.Status}, batch with one foreign event {(int)batch.Status}, victim rows stored {stored}, own event {(int)own.Status}");

        Assert.AreEqual(HttpStatusCode.Forbidden, forged.Status, forged.ToString());
        Assert.AreEqual(HttpStatusCode.Forbidden, batch.Status, batch.ToString());
        Assert.AreEqual(0L, stored, "nothing of a refused batch is stored");
        Assert.AreEqual(HttpStatusCode.Created, own.Status, own.ToString());
        var sequence = own.Json.GetProperty("events")[0].GetProperty("sequence").GetInt64();
        Assert.AreEqual(agent, await Cluster.ScalarAsync<string>("SELECT agent_id FROM kavach_stream_events WHERE sequence = $1", sequence));
    }

    [TestMethod]
    public async Task AUsersTokenEmitsOnlyAboutItsOwnUser()
    {
        var (user, victim) = (Unique("user"), Unique("victim"));
        var token = Forge.Token(user, KavachScopes.Emit, new JsonObject { [KavachClaims.SubjectKind] = "user" });
        using var api = new Api(Cluster.Replicas[1].BaseAddress, token);
        var forged = await api.EmitAsync(Api.Event("auth.signin", userId: victim));
        Findings.Record("user token emits as another user", $"{(int)forged.Status}");
        Assert.AreEqual(HttpStatusCode.Forbidden, forged.Status, forged.ToString());
        await api.EmitOkAsync(Api.Event("auth.signin", userId: user));
    }

    [TestMethod]
    public async Task AnEmittersAgentRevokedCutsNobodyOff()
    {
        var victim = Unique("victim");
        var victimToken = Forge.Agent(victim);
        await using var stream = await RawStream.OpenAsync(Cluster.Replicas[0].BaseAddress, victimToken);
        Assert.AreEqual(HttpStatusCode.OK, stream.Status);
        await stream.NextAsync(TimeSpan.FromSeconds(10)); // connected

        using var attacker = new Api(Cluster.Replicas[1].BaseAddress, Forge.Emitter(Unique("mallory")));
        var answer = await attacker.EmitAsync(Api.Event("agent.revoked", victim));
        var frames = await stream.CollectAsync(TimeSpan.FromSeconds(3)); // longer than the revocation bound
        var cutOff = frames.Any(f => f.Type == "error");
        await using var again = await RawStream.OpenAsync(Cluster.Replicas[1].BaseAddress, victimToken);
        using var page = new Api(Cluster.Replicas[0].BaseAddress, victimToken);
        var pageAnswer = await page.GetAsync(Api.Events);
        Findings.Record("emitter (not admin) emits agent.revoked for another's agent",
            $"emit {(int)answer.Status}, victim's stream {(cutOff ? "ended" : "kept")}, victim reconnects {(int)again.Status}, victim's page {(int)pageAnswer.Status}");

        Assert.AreEqual(HttpStatusCode.Created, answer.Status, "stored as a notification: " + answer);
        Assert.IsFalse(cutOff, "an emitter without events:admin must not end an agent's stream: " + string.Join(", ", frames.Select(f => f.Type)));
        Assert.IsTrue(frames.Any(f => f.Type == "agent.revoked"), "the victim reads the notification about itself");
        Assert.AreEqual(HttpStatusCode.OK, again.Status);
        Assert.AreEqual(HttpStatusCode.OK, pageAnswer.Status);
    }

    [TestMethod]
    public async Task AnotherEmittersIdIsAConflictNeverItsEvent()
    {
        var id = Unique("evt");
        using var attacker = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter(Unique("mallory")));
        using var real = new Api(Cluster.Replicas[1].BaseAddress, Forge.Emitter(Unique("billing")));
        await attacker.EmitOkAsync(Api.Event("cost.recorded", "agent-x", id: id, data: new JsonObject { ["usd"] = 0 }));
        var answer = await real.EmitAsync(Api.Event("cost.recorded", "agent-x", id: id, data: new JsonObject { ["usd"] = 9000 }));
        Findings.Record("emitter pre-claims another emitter's idempotency id", $"real emit answered {(int)answer.Status}");
        Assert.AreEqual(HttpStatusCode.Conflict, answer.Status, answer.ToString());

        // The owner's own retry is still safe: the original sequence, nothing new.
        var retry = await attacker.EmitAsync(Api.Event("cost.recorded", "agent-x", id: id, data: new JsonObject { ["usd"] = 0 }));
        Assert.AreEqual(HttpStatusCode.Created, retry.Status, retry.ToString());
        Assert.AreEqual(1L, await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events WHERE id = $1", id));
    }

    [TestMethod]
    public async Task TwoEmittersRacingForOneIdGetOneEventAndOneConflict()
    {
        var results = new List<HttpStatusCode>();
        for (var round = 0; round < 10; round++)
        {
            var id = Unique("race");
            using var a = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter(Unique("a")));
            using var b = new Api(Cluster.Replicas[1].BaseAddress, Forge.Emitter(Unique("b")));
            var answers = await Task.WhenAll(a.EmitAsync(Api.Event("audit", "race", id: id)), b.EmitAsync(Api.Event("audit", "race", id: id)));
            results.AddRange(answers.Select(x => x.Status));
            CollectionAssert.AreEquivalent(new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }, answers.Select(x => x.Status).ToArray(),
                string.Join(" / ", answers.Select(x => x.ToString())));
        }

        Findings.Record("two emitters race for one id on two replicas (10 rounds)",
            string.Join(", ", results.GroupBy(s => s).Select(g => $"{(int)g.Key} ×{g.Count()}")));
    }

    [TestMethod]
    public async Task ABatchThatReusesAnotherEmittersIdStoresNothing()
    {
        var id = Unique("taken");
        using var owner = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter(Unique("owner")));
        await owner.EmitOkAsync(Api.Event("audit", "batch", id: id));
        var fresh = Unique("fresh");
        using var other = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter(Unique("other")));
        var answer = await other.EmitAsync(Api.Event("audit", "batch", id: fresh), Api.Event("audit", "batch", id: id));
        var stored = await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events WHERE id = $1", fresh);
        Findings.Record("batch mixing a new id with another emitter's id", $"{(int)answer.Status}, new id stored {stored}");
        Assert.AreEqual(HttpStatusCode.Conflict, answer.Status, answer.ToString());
        Assert.AreEqual(0L, stored, "a refused batch stores nothing");
    }
}
