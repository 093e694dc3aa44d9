using System.Net;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// The console's response credential (<c>events:revoke</c>) stolen and used for everything else, readers and emitters
/// reaching for revocation, and the <c>onBehalfOf</c> name used to forge the log's record of who revoked: each must be
/// refused, and nothing revoked or recorded.
/// </summary>
[TestClass]
public sealed class ResponderAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static JsonObject Revoke(string field, string value, string? reason = "attack", string? onBehalfOf = null)
    {
        var body = new JsonObject { [field] = value };
        if (reason is not null)
        {
            body["reason"] = reason;
        }

        if (onBehalfOf is not null)
        {
            body["onBehalfOf"] = onBehalfOf;
        }

        return body;
    }

    [TestMethod]
    public async Task AStolenResponseCredentialReadsNothingEmitsNothingAndManagesNoDestinations()
    {
        var revoker = Forge.Token(Unique("console-responder"), KavachScopes.Revoke);
        using var api = new Api(Cluster.Replicas[0].BaseAddress, revoker);
        var answers = new Dictionary<string, HttpStatusCode>();
        foreach (var path in new[]
                 {
                     KavachRoutes.Events, $"{KavachRoutes.Replay}?since=2020-01-01T00:00:00Z", KavachRoutes.StreamConnections,
                     KavachRoutes.Verify, KavachRoutes.NewestCheckpoint, KavachRoutes.Revocations, KavachRoutes.Destinations, KavachRoutes.Webhooks,
                 })
        {
            answers[$"GET {path}"] = (await api.GetAsync(path)).Status;
        }

        await using (var stream = await RawStream.OpenAsync(Cluster.Replicas[1].BaseAddress, revoker))
        {
            answers["stream"] = stream.Status;
        }

        var marker = Unique("responder-emit");
        answers["emit"] = (await api.EmitAsync(Api.Event("audit", marker))).Status;
        answers["emit agent.revoked"] = (await api.EmitAsync(Api.Event("agent.revoked", marker))).Status;
        answers["create webhook"] = (await api.PostJsonAsync(KavachRoutes.Webhooks,
            new JsonObject { ["url"] = "https://receiver.example/hook", ["secret"] = new string('s', 40) })).Status;
        answers["pause destination"] = (await api.PostJsonAsync($"{KavachRoutes.Destinations}/{Guid.NewGuid()}/pause", new JsonObject())).Status;
        var stored = await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events WHERE agent_id = $1", marker);
        Findings.Record("stolen response credential (events:revoke) used to read, emit and manage destinations",
            string.Join(", ", answers.Select(a => $"{a.Key} {(int)a.Value}")) + $"; events stored {stored}");

        foreach (var (what, status) in answers)
        {
            Assert.AreEqual(HttpStatusCode.Forbidden, status, what);
        }

        Assert.AreEqual(0L, stored);
    }

    [TestMethod]
    public async Task ReadersEmittersAndAgentsCannotRevoke()
    {
        var victim = Unique("victim");
        var victimToken = Forge.Agent(victim);
        var attempts = new Dictionary<string, HttpStatusCode>();
        foreach (var (who, token) in new[]
                 {
                     ("reader", Forge.Reader(Unique("reader"))),
                     ("emitter", Forge.Emitter(Unique("emitter"))),
                     ("another agent", Forge.Agent(Unique("agent"))),
                 })
        {
            using var api = new Api(Cluster.Replicas[0].BaseAddress, token);
            attempts[$"{who}: agent"] = (await api.PostJsonAsync(KavachRoutes.Revocations, Revoke("agentId", victim))).Status;
            attempts[$"{who}: subject"] = (await api.PostJsonAsync(KavachRoutes.Revocations, Revoke("subject", victim))).Status;
            attempts[$"{who}: token"] = (await api.PostJsonAsync(KavachRoutes.Revocations, Revoke("tokenId", Forge.IdOf(victimToken)))).Status;
        }

        using (var otherAgent = new Api(Cluster.Replicas[1].BaseAddress, Forge.Agent(Unique("agent"))))
        {
            attempts["another agent emits agent.revoked for it"] = (await otherAgent.EmitAsync(Api.Event("agent.revoked", victim))).Status;
        }

        var revoked = await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_revocations WHERE value = $1", victim);
        await using var stream = await RawStream.OpenAsync(Cluster.Replicas[1].BaseAddress, victimToken);
        Findings.Record("readers, emitters and other agents revoke an agent, its subject or its token",
            string.Join(", ", attempts.Select(a => $"{a.Key} {(int)a.Value}")) + $"; revocations stored {revoked}; victim's stream {(int)stream.Status}");

        foreach (var (what, status) in attempts)
        {
            Assert.AreEqual(HttpStatusCode.Forbidden, status, what);
        }

        Assert.AreEqual(0L, revoked);
        Assert.AreEqual(HttpStatusCode.OK, stream.Status, "the victim still reads");
    }

    [TestMethod]
    public async Task OnBehalfOfCannotForgeTheRecordWithControlCharactersOrHugeText()
    {
        var subject = Unique("subject");
        using var api = new Api(Cluster.Replicas[0].BaseAddress, Forge.Token(Unique("console-responder"), KavachScopes.Revoke));
        var forgeries = new Dictionary<string, string>
        {
            ["new line"] = "bob\n{\"action\":\"approved\",\"by\":\"ciso\"}",
            ["carriage return"] = "bob\rciso",
            ["escape sequence"] = "bob\u001b[2K\u001b[1Gciso",
            ["nul"] = "bob\0ciso",
            ["direction override"] = "bob\u202eosic",
            ["zero-width joiner"] = "b\u200dob",
            ["line separator"] = "bob\u2028ciso",
            ["huge"] = new string('b', 10_000),
            ["empty"] = "",
        };
        var answers = new Dictionary<string, HttpStatusCode>();
        foreach (var (what, name) in forgeries)
        {
            answers[$"onBehalfOf {what}"] = (await api.PostJsonAsync(KavachRoutes.Revocations, Revoke("subject", subject, onBehalfOf: name))).Status;
            answers[$"reason {what}"] = (await api.PostJsonAsync(KavachRoutes.Revocations, Revoke("subject", subject, reason: name))).Status;
        }

        answers["no reason"] = (await api.PostJsonAsync(KavachRoutes.Revocations, Revoke("subject", subject, reason: null))).Status;
        var revoked = await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_revocations WHERE value = $1", subject);
        var recorded = await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events WHERE body LIKE '%' || $1 || '%'", subject);
        Findings.Record("onBehalfOf and reason carry control characters, direction overrides or huge text",
            string.Join(", ", answers.GroupBy(a => (int)a.Value).Select(g => $"{g.Count()} answered {g.Key}")) + $"; revoked {revoked}, recorded {recorded}");

        foreach (var (what, status) in answers)
        {
            Assert.AreEqual(HttpStatusCode.BadRequest, status, what);
        }

        Assert.AreEqual(0L, revoked);
        Assert.AreEqual(0L, recorded);
    }
}
