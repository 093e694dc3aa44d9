using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Alerts as a target (docs/api.md, "Alerts"; docs/security.md): tokens without <c>alerts:write</c> raising,
/// acknowledging or resolving; a reader of part of the log learning of events its grant hides through alerts about
/// them; evidence that names events the log never held; oversized notes, evidence and bodies; and the service's own
/// database credentials rewriting what an alert is about or who acknowledged it.
/// </summary>
[TestClass]
public sealed class AlertAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>The console's credential: read the log, write alerts.</summary>
    private static string ConsoleToken(string subject) => Forge.Token(subject, $"{KavachScopes.Read} {KavachScopes.AlertsWrite}");

    private static async Task<long[]> EvidenceAsync(string agent, int count = 2)
    {
        using var emitter = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter(Unique("alerts-emitter")));
        return await emitter.EmitOkAsync([.. Enumerable.Range(0, count).Select(_ => Api.Event("auth.failed", agentId: agent, userId: $"user-of-{agent}"))]);
    }

    private static JsonObject Raise(string rule, string agent, IEnumerable<long> evidence) => new()
    {
        ["rule"] = rule,
        ["kind"] = "burst",
        ["entityKind"] = AlertEntityKinds.Agent,
        ["entity"] = agent,
        ["title"] = $"auth.failed burst on {agent}",
        ["evidence"] = new JsonArray([.. evidence.Select(s => JsonValue.Create(s))]),
    };

    private static async Task<long> RaiseOkAsync(string rule, string agent, long[] evidence)
    {
        using var console = new Api(Cluster.Replicas[0].BaseAddress, ConsoleToken(Unique("console")));
        var raised = await console.PostJsonAsync(KavachRoutes.Alerts, Raise(rule, agent, evidence));
        Assert.AreEqual(HttpStatusCode.Created, raised.Status, raised.ToString());
        return raised.Json.GetProperty("id").GetInt64();
    }

    private static Task<long> CountAsync(string rule) => Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_alerts WHERE rule = $1", rule);

    private static Task<string> StateAsync(long id) =>
        Cluster.ScalarAsync<string>("SELECT state || ' ' || (SELECT count(*) FROM kavach_alert_changes WHERE alert = $1) FROM kavach_alerts WHERE id = $1", id);

    [TestMethod]
    public async Task WithoutAlertsWriteNobodyRaisesAcknowledgesOrResolves()
    {
        var rule = Unique("rule");
        var agent = Unique("agent");
        var evidence = await EvidenceAsync(agent);
        var id = await RaiseOkAsync(rule, agent, evidence);

        var attackers = new (string Name, string Token)[]
        {
            ("reader", Forge.Reader(Unique("reader"))),
            ("emitter", Forge.Emitter(Unique("emitter"))),
            ("admin", Forge.Admin(Unique("admin"))),
            ("revoker", Forge.Token(Unique("revoker"), $"{KavachScopes.Revoke} {KavachScopes.Read}")),
            ("agent", Forge.Agent(agent)),
            ("a scope that only starts like alerts:write", Forge.Token(Unique("sly"), $"{KavachScopes.AlertsWrite}r {KavachScopes.Read}")),
            ("a scope in another case", Forge.Token(Unique("case"), $"ALERTS:WRITE {KavachScopes.Read}")),
            ("no scope", Forge.Token(Unique("none"), "")),
        };
        var attempts = new (string Path, JsonObject Body)[]
        {
            (KavachRoutes.Alerts, Raise(rule, Unique("agent"), evidence)),
            (KavachRoutes.Alerts, Raise(rule, agent, evidence)),
            ($"{KavachRoutes.Alerts}/{id}/state", new JsonObject { ["state"] = AlertStates.Acknowledged, ["by"] = "mallory" }),
            ($"{KavachRoutes.Alerts}/{id}/state", new JsonObject { ["state"] = AlertStates.Resolved, ["by"] = "mallory", ["note"] = "nothing to see" }),
        };
        foreach (var (name, token) in attackers)
        {
            foreach (var replica in Cluster.Replicas)
            {
                using var attacker = new Api(replica.BaseAddress, token);
                foreach (var (path, body) in attempts)
                {
                    var answer = await attacker.PostJsonAsync(path, body);
                    Assert.AreEqual(HttpStatusCode.Forbidden, answer.Status, $"{name} on {replica.Name}: POST {path}: {answer}");
                }
            }
        }

        Assert.AreEqual(1L, await CountAsync(rule), "no alert was raised");
        Assert.AreEqual("open 1", await StateAsync(id), "nobody changed it");
        Findings.Record("alerts: raise, acknowledge and resolve without alerts:write (reader, emitter, admin, revoker, agent, look-alike scopes)",
            "403 for each, on each replica; the alert stayed open with one entry in its history");
    }

    [TestMethod]
    public async Task AReaderReadsAlertsAndAWriterWithoutReadReadsNone()
    {
        var rule = Unique("rule");
        var agent = Unique("agent");
        var id = await RaiseOkAsync(rule, agent, await EvidenceAsync(agent));

        using var reader = new Api(Cluster.Replicas[^1].BaseAddress, Forge.Reader(Unique("reader")));
        var list = await reader.GetAsync($"{KavachRoutes.Alerts}?rule={rule}");
        Assert.AreEqual(HttpStatusCode.OK, list.Status, list.ToString());
        Assert.AreEqual(id, list.Json.GetProperty("alerts")[0].GetProperty("id").GetInt64());
        Assert.AreEqual(HttpStatusCode.OK, (await reader.GetAsync($"{KavachRoutes.Alerts}/{id}")).Status);
        var injected = await reader.GetAsync($"{KavachRoutes.Alerts}?rule={Uri.EscapeDataString("' OR '1'='1")}");
        Assert.AreEqual(0, injected.Json.GetProperty("alerts").GetArrayLength(), injected.ToString());

        using var writerOnly = new Api(Cluster.Replicas[0].BaseAddress, Forge.Token(Unique("writer"), KavachScopes.AlertsWrite));
        Assert.AreEqual(HttpStatusCode.Forbidden, (await writerOnly.GetAsync(KavachRoutes.Alerts)).Status);
        Assert.AreEqual(HttpStatusCode.Forbidden, (await writerOnly.GetAsync($"{KavachRoutes.Alerts}/{id}")).Status);
        using var anonymous = new Api(Cluster.Replicas[0].BaseAddress);
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(KavachRoutes.Alerts)).Status);
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await anonymous.PostJsonAsync(KavachRoutes.Alerts, Raise(rule, agent, [1]))).Status);
    }

    [TestMethod]
    public async Task ANarrowedReaderLearnsNothingOfAlertsNotEvenAboutItsOwnEvents()
    {
        var rule = Unique("rule");
        var agent = Unique("agent");
        var id = await RaiseOkAsync(rule, agent, await EvidenceAsync(agent));
        var scopes = $"{KavachScopes.Read} {KavachScopes.AlertsWrite}";
        var narrowed = new (string Name, string Token)[]
        {
            ("types", Forge.Token(Unique("typed"), scopes, new JsonObject { [KavachClaims.Types] = new JsonArray("auth.failed") })),
            ("agents (the alert's own)", Forge.Token(Unique("agents"), scopes, new JsonObject { [KavachClaims.Agents] = new JsonArray(agent) })),
            ("users", Forge.Token(Unique("users"), scopes, new JsonObject { [KavachClaims.Users] = new JsonArray($"user-of-{agent}") })),
            ("an empty grant", Forge.Token(Unique("empty"), scopes, new JsonObject { [KavachClaims.Agents] = new JsonArray() })),
            ("the agent itself", Forge.Agent(agent, scopes)),
        };
        foreach (var (name, token) in narrowed)
        {
            using var attacker = new Api(Cluster.Replicas[0].BaseAddress, token);
            var answers = new[]
            {
                await attacker.GetAsync(KavachRoutes.Alerts),
                await attacker.GetAsync($"{KavachRoutes.Alerts}?rule={rule}"),
                await attacker.GetAsync($"{KavachRoutes.Alerts}/{id}"),
                await attacker.PostJsonAsync(KavachRoutes.Alerts, Raise(rule, agent, [1])),
                await attacker.PostJsonAsync($"{KavachRoutes.Alerts}/{id}/state", new JsonObject { ["state"] = AlertStates.Resolved, ["by"] = "mallory" }),
            };
            foreach (var answer in answers)
            {
                Assert.AreEqual(HttpStatusCode.Forbidden, answer.Status, $"{name}: {answer}");
                Assert.IsFalse(answer.Body.Contains(agent, StringComparison.Ordinal), $"{name} learned of the alert: {answer}");
            }
        }

        Assert.AreEqual("open 1", await StateAsync(id));
        Findings.Record("alerts: a reader narrowed by type, agent, user or kavach_subject reading or writing alerts",
            "403 on every alerts route, even for alerts about its own events: alerts need a token that reads the whole log");
    }

    [TestMethod]
    public async Task EvidenceTheLogNeverHeldIsRefusedAndStoresNothing()
    {
        var rule = Unique("rule");
        var agent = Unique("agent");
        var real = await EvidenceAsync(agent);
        var head = await Cluster.ScalarAsync<long>("SELECT last_value FROM kavach_stream_sequence");
        using var console = new Api(Cluster.Replicas[0].BaseAddress, ConsoleToken(Unique("console")));
        var forgeries = new (string Name, JsonNode Evidence, HttpStatusCode Status)[]
        {
            ("beyond the head", new JsonArray(head + 1_000), HttpStatusCode.UnprocessableEntity),
            ("real and one forged", new JsonArray(real[0], head + 1_000), HttpStatusCode.UnprocessableEntity),
            ("the largest sequence", new JsonArray(long.MaxValue), HttpStatusCode.UnprocessableEntity),
            ("zero", new JsonArray(0), HttpStatusCode.BadRequest),
            ("negative", new JsonArray(-real[0]), HttpStatusCode.BadRequest),
            ("beyond a long", JsonNode.Parse("[9223372036854775808]")!, HttpStatusCode.BadRequest),
            ("a fraction", JsonNode.Parse($"[{real[0]}.5]")!, HttpStatusCode.BadRequest),
            ("not a list", JsonValue.Create(real[0]), HttpStatusCode.BadRequest),
        };
        foreach (var (name, evidence, status) in forgeries)
        {
            var body = Raise(rule, agent, []);
            body["evidence"] = evidence.DeepClone();
            var answer = await console.PostJsonAsync(KavachRoutes.Alerts, body);
            Assert.AreEqual(status, answer.Status, $"{name}: {answer}");
        }

        Assert.AreEqual(0L, await CountAsync(rule), "nothing was stored");

        // Overlapping an existing alert does not make forged evidence acceptable either.
        var id = await RaiseOkAsync(rule, agent, real);
        var overlapping = await console.PostJsonAsync(KavachRoutes.Alerts, Raise(rule, agent, [real[0], head + 1_000]));
        Assert.AreEqual(HttpStatusCode.UnprocessableEntity, overlapping.Status, overlapping.ToString());
        Assert.AreEqual(1L, await CountAsync(rule));
        Assert.AreEqual("open 1", await StateAsync(id));
        Findings.Record("alerts: evidence naming events the log never held (beyond the head, mixed with real ones, zero, negative, overflowing)",
            "422 (not in the log) or 400 (not a sequence); nothing stored");
    }

    [TestMethod]
    public async Task OversizedNotesEvidenceAndBodiesAreRefused()
    {
        var rule = Unique("rule");
        var agent = Unique("agent");
        var real = await EvidenceAsync(agent);
        var id = await RaiseOkAsync(rule, agent, real);
        using var console = new Api(Cluster.Replicas[0].BaseAddress, ConsoleToken(Unique("console")));

        var longNote = await console.PostJsonAsync($"{KavachRoutes.Alerts}/{id}/state",
            new JsonObject { ["state"] = AlertStates.Acknowledged, ["by"] = "alice", ["note"] = new string('n', AlertLimits.NoteLength + 1) });
        Assert.AreEqual(HttpStatusCode.BadRequest, longNote.Status, longNote.ToString());
        var longBy = await console.PostJsonAsync($"{KavachRoutes.Alerts}/{id}/state",
            new JsonObject { ["state"] = AlertStates.Acknowledged, ["by"] = new string('b', AlertLimits.ByLength + 1) });
        Assert.AreEqual(HttpStatusCode.BadRequest, longBy.Status, longBy.ToString());

        var manyEvidence = Raise(Unique("rule"), agent, Enumerable.Repeat(real[0], AlertLimits.EvidenceCount + 1));
        Assert.AreEqual(HttpStatusCode.BadRequest, (await console.PostJsonAsync(KavachRoutes.Alerts, manyEvidence)).Status);
        var longDetail = Raise(Unique("rule"), agent, real);
        longDetail["detail"] = new string('d', AlertLimits.DetailLength + 1);
        Assert.AreEqual(HttpStatusCode.BadRequest, (await console.PostJsonAsync(KavachRoutes.Alerts, longDetail)).Status);

        // A megabyte of evidence: refused by its length before it is read whole, with and without a Content-Length.
        var huge = Raise(Unique("rule"), agent, Enumerable.Repeat(real[0], 100_000)).ToJsonString();
        using var declared = await console.Http.PostAsync(KavachRoutes.Alerts, new StringContent(huge, Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode, await declared.Content.ReadAsStringAsync());
        using var chunkedContent = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunkedContent.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, KavachRoutes.Alerts) { Content = chunkedContent };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        using var chunked = await console.Http.SendAsync(chunkedRequest);
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode, await chunked.Content.ReadAsStringAsync());

        var deep = $$"""{"state":{{new string('[', 10_000)}}{{new string(']', 10_000)}},"by":"alice"}""";
        using var nested = await console.Http.PostAsync($"{KavachRoutes.Alerts}/{id}/state", new StringContent(deep, Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.BadRequest, nested.StatusCode, await nested.Content.ReadAsStringAsync());

        Assert.AreEqual("open 1", await StateAsync(id), "no refused change took");
        Assert.AreEqual(1L, await Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_alerts WHERE entity = $1", agent), "no refused raise was stored");
        Findings.Record("alerts: oversized notes, names, details, evidence lists and bodies (1 MB, chunked), deeply nested JSON",
            "400 for each field beyond its limit, 413 for a body beyond 64 KiB; nothing stored or changed");
    }

    [TestMethod]
    public async Task TheServicesCredentialsCannotRewriteWhatAnAlertIsAboutNorItsHistory()
    {
        var agent = Unique("agent");
        var id = await RaiseOkAsync(Unique("rule"), agent, await EvidenceAsync(agent));
        (string What, string Sql)[] statements =
        [
            ("change its evidence", $"UPDATE kavach_alerts SET evidence = '{{1}}' WHERE id = {id}"),
            ("change what it is about", $"UPDATE kavach_alerts SET entity = 'someone-else' WHERE id = {id}"),
            ("delete it", $"DELETE FROM kavach_alerts WHERE id = {id}"),
            ("rewrite who acknowledged", $"UPDATE kavach_alert_changes SET by_name = 'mallory' WHERE alert = {id}"),
            ("erase its history", $"DELETE FROM kavach_alert_changes WHERE alert = {id}"),
        ];

        await using var service = await Cluster.OpenAsServiceAsync();
        var outcomes = new List<(string What, string Outcome)>();
        foreach (var (what, sql) in statements)
        {
            outcomes.Add((what, await AsService.TryAsync(service, sql)));
        }

        Findings.Record("alerts with the service's own credentials: rewrite evidence or entity, delete an alert, rewrite or erase its history",
            string.Join("; ", outcomes.Select(o => $"{o.What}: {o.Outcome}")));
        foreach (var (what, outcome) in outcomes)
        {
            Assert.IsTrue(AsService.Refused(outcome), $"{what}: {outcome}");
        }

        Assert.AreEqual("open 1", await StateAsync(id));
    }
}
