using System.Net;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Webhooks as a way in or out (docs/webhooks.md): a token without <c>events:admin</c> trying to subscribe, read or
/// change subscriptions; a subscription trying to get events its read grant excludes by asking for their types; and
/// a subscription pointed at the service's own network (loopback, cloud metadata, private ranges) — SSRF.
/// </summary>
[TestClass]
public sealed class WebhookAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A public target that no event reaches: a grant that admits nobody.</summary>
    private static JsonObject Harmless(string description) => new()
    {
        ["url"] = "https://203.0.113.10/hook",
        ["description"] = description,
        ["grant"] = new JsonObject { ["agents"] = new JsonArray() },
    };

    private static Task<long> CountAsync(string descriptionPrefix) =>
        Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_destinations WHERE description LIKE $1", descriptionPrefix + "%");

    [TestMethod]
    public async Task EmittersReadersAndAgentsCannotCreateListOrChangeWebhooks()
    {
        using var admin = new Api(Cluster.Replicas[0].BaseAddress, Forge.Admin(Unique("admin")));
        var marker = Unique("victim");
        var created = await admin.PostJsonAsync(KavachRoutes.Webhooks, Harmless(marker));
        Assert.AreEqual(HttpStatusCode.Created, created.Status, created.ToString());
        var id = created.Json.GetProperty("webhook").GetProperty("id").GetString();

        var attackers = new (string Name, string Token)[]
        {
            ("emitter", Forge.Emitter(Unique("emitter"))),
            ("reader", Forge.Reader(Unique("reader"))),
            ("agent", Forge.Agent(Unique("agent"))),
            ("ssf receiver", Forge.Token(Unique("receiver"), $"{KavachScopes.SsfManage} {KavachScopes.SsfRead}")),
            ("a scope that only starts like admin", Forge.Token(Unique("sly"), $"{KavachScopes.Admin}istrator {KavachScopes.Read} {KavachScopes.Emit}")),
        };
        var attempts = new (HttpMethod Method, string Path, JsonObject? Body)[]
        {
            (HttpMethod.Post, KavachRoutes.Webhooks, Harmless(marker + "-attacker")),
            (HttpMethod.Get, KavachRoutes.Webhooks, null),
            (HttpMethod.Get, $"{KavachRoutes.Webhooks}/{id}", null),
            (HttpMethod.Patch, $"{KavachRoutes.Webhooks}/{id}", new JsonObject { ["url"] = "https://203.0.113.66/stolen", ["grant"] = null }),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{id}/secrets?overlapHours=0", null),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{id}/pause", null),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{id}/redeliver", new JsonObject { ["fromSequence"] = 1 }),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{id}/test", null),
            (HttpMethod.Delete, $"{KavachRoutes.Webhooks}/{id}", null),
            (HttpMethod.Get, KavachRoutes.Destinations, null),
            (HttpMethod.Post, $"{KavachRoutes.Destinations}/{id}/pause", null),
        };
        var answers = new List<string>();
        foreach (var (name, token) in attackers)
        {
            foreach (var replica in Cluster.Replicas)
            {
                using var attacker = new Api(replica.BaseAddress, token);
                foreach (var (method, path, body) in attempts)
                {
                    using var request = new HttpRequestMessage(method, path)
                    {
                        Content = body is null ? null : new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
                    };
                    using var response = await attacker.Http.SendAsync(request);
                    var answer = await Api.ReadAsync(response);
                    answers.Add($"{(int)answer.Status}");
                    Assert.AreEqual(HttpStatusCode.Forbidden, answer.Status, $"{name} on {replica.Name}: {method} {path}: {answer}");
                    Assert.IsFalse(answer.Body.Contains("whsec_", StringComparison.Ordinal), $"{name} got a secret: {method} {path}");
                }
            }
        }

        var after = await admin.GetAsync($"{KavachRoutes.Webhooks}/{id}");
        Findings.Record("non-admin tokens create, read or change webhooks",
            $"{answers.Count(a => a == "403")} of {answers.Count} attempts refused 403; victim webhook state {after.Json.GetProperty("state").GetString()}, " +
            $"url {after.Json.GetProperty("url").GetString()}, {after.Json.GetProperty("secrets").GetArrayLength()} secret(s)");
        Assert.AreEqual("enabled", after.Json.GetProperty("state").GetString());
        Assert.AreEqual("https://203.0.113.10/hook", after.Json.GetProperty("url").GetString());
        Assert.AreEqual(1, after.Json.GetProperty("secrets").GetArrayLength());
        Assert.AreEqual(1L, await CountAsync(marker), "only the admin's webhook exists");
        await admin.Http.DeleteAsync($"{KavachRoutes.Webhooks}/{id}");
    }

    [TestMethod]
    public async Task PrivateLoopbackAndMetadataTargetsAreRefusedAtCreate()
    {
        using var admin = new Api(Cluster.Replicas[1].BaseAddress, Forge.Admin(Unique("admin")));
        var marker = Unique("ssrf");
        var targets = new[]
        {
            "https://127.0.0.1/hook", "https://127.8.9.10:8443/hook", "https://169.254.169.254/latest/meta-data/", "https://[::1]/hook",
            "https://10.0.0.5/hook", "https://172.16.3.4/hook", "https://192.168.1.1/hook", "https://[fd00::1]/hook", "https://[fe80::1]/hook",
            "https://[::ffff:127.0.0.1]/hook", "https://[::ffff:169.254.169.254]/hook", "https://0.0.0.0/hook", "https://localhost/hook",
            "http://127.0.0.1:8080/hook", "http://203.0.113.10/hook",
        };
        var refused = new List<string>();
        foreach (var target in targets)
        {
            var request = Harmless(marker);
            request["url"] = target;
            var answer = await admin.PostJsonAsync(KavachRoutes.Webhooks, request);
            Assert.AreEqual(HttpStatusCode.BadRequest, answer.Status, $"{target}: {answer}");
            Assert.AreEqual("application/problem+json", answer.MediaType, target);
            StringAssert.Contains(answer.Body, "url", target);
            refused.Add(target);
        }

        // Nor can an existing webhook be pointed there.
        var created = await admin.PostJsonAsync(KavachRoutes.Webhooks, Harmless(marker + "-public"));
        Assert.AreEqual(HttpStatusCode.Created, created.Status, created.ToString());
        var id = created.Json.GetProperty("webhook").GetProperty("id").GetString();
        foreach (var target in targets)
        {
            using var patch = await admin.Http.PatchAsync($"{KavachRoutes.Webhooks}/{id}",
                new StringContent(new JsonObject { ["url"] = target }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            Assert.AreEqual(HttpStatusCode.BadRequest, patch.StatusCode, $"update to {target}");
        }

        var stored = await CountAsync(marker);
        var url = await Cluster.ScalarAsync<string>("SELECT url FROM kavach_destinations WHERE id = $1", Guid.Parse(id!));
        Findings.Record("webhook pointed at loopback, link-local metadata or private ranges (SSRF)",
            $"{refused.Count} of {targets.Length} targets refused 400 at create and at update; {stored - 1} stored; the public one still points at {url}");
        Assert.AreEqual(1L, stored, "only the public webhook was stored");
        Assert.AreEqual("https://203.0.113.10/hook", url);
        await admin.Http.DeleteAsync($"{KavachRoutes.Webhooks}/{id}");
    }

    [TestMethod]
    public async Task AWebhookWhoseGrantExcludesAnAgentNeverReceivesItsEventsWhateverItsTypes()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "webhook_grant");
        var replica = await db.StartReplicaAsync("webhook-grant", new Dictionary<string, string>
        {
            ["Kavach__Delivery__AllowedPrivateTargets__0"] = "127.0.0.1/32",
        });
        try
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            using var admin = new Api(replica.BaseAddress, Forge.Admin(Unique("admin")));
            var (excluded, granted) = (Unique("agent-x"), Unique("agent-y"));
            var types = new[] { "audit", "agent.rotated", "anomaly.detected", "agent.revoked" };
            var created = await admin.PostJsonAsync(KavachRoutes.Webhooks, new JsonObject
            {
                ["url"] = receiver.Url.ToString(),
                ["eventTypes"] = new JsonArray([.. types.Select(t => (JsonNode)t)]),
                ["grant"] = new JsonObject { ["types"] = new JsonArray("audit", "agent.rotated", "agent.revoked"), ["agents"] = new JsonArray(granted) },
            });
            Assert.AreEqual(HttpStatusCode.Created, created.Status, created.ToString());
            receiver.Secret = created.Json.GetProperty("secret").GetString();

            // Every type the webhook asks for, for both agents (and the user of one), interleaved; the granted agent's revocation last.
            var expected = new List<string>();
            foreach (var type in types.Where(t => t != "agent.revoked"))
            {
                await admin.EmitOkAsync(Api.Event(type, excluded), Api.Event(type, excluded, userId: granted), Api.Event(type, granted));
                if (type != "anomaly.detected")
                {
                    expected.Add(type);
                }
            }

            await admin.EmitOkAsync(Api.Event("agent.revoked", excluded));
            await admin.EmitOkAsync(Api.Event("agent.revoked", granted));
            expected.Add("agent.revoked");

            var received = await Poll.UntilAsync(() => Task.FromResult(receiver.Received),
                r => r.Any(h => h.Type == "agent.revoked" && h.AgentId == granted), TimeSpan.FromSeconds(60));
            var leaked = received.Where(h => h.AgentId != granted).ToList();
            Findings.Record("webhook asks for every type of an agent its grant excludes",
                $"{received.Count} delivered, {leaked.Count} of the excluded agent's; {received.Count(h => h.Type == "anomaly.detected")} of a type the grant excludes; " +
                $"{received.Count(h => h.Verified)} verified with the receiver's own HMAC");
            Assert.AreEqual(0, leaked.Count, "the excluded agent's events reached the webhook: " + string.Join(", ", leaked.Select(h => $"{h.Type} {h.AgentId}")));
            Assert.IsFalse(received.Any(h => h.Type == "anomaly.detected"), "a type outside the grant was delivered");
            CollectionAssert.AreEqual(expected, received.Select(h => h.Type).ToList(), "the granted agent's events, each once, in order");
            Assert.IsTrue(received.All(h => h.Verified), "every message is signed with the webhook's secret");
        }
        finally
        {
            await replica.StopAsync();
        }
    }
}
