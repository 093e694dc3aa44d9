using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.Contracts;
using Kavach.Tests.Support;

namespace Kavach.Tests.Delivery;

/// <summary>
/// The webhooks admin API against the running system (docs/webhooks.md, "API"): its round trip, who may use it, each
/// refused field with nothing stored, the state changes and the cursor, secret rotation seen by a real receiver that
/// verifies signatures with its own HMAC code, and a secret's value never shown again nor logged.
/// </summary>
[TestClass]
public sealed class WebhooksApiTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    private static IReadOnlyList<Uri> Replicas => KavachSystem.StreamApiReplicas;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static HttpClient Admin(int replica = 0) => new EventsClient(Replicas[replica % Replicas.Count], Tokens.Admin()).Http;

    /// <summary>A target no test event reaches: a documentation address (TEST-NET-3), with a grant that admits nobody.</summary>
    private static JsonObject Unreachable(string description) => new()
    {
        ["url"] = "https://203.0.113.10/hook",
        ["description"] = description,
        ["grant"] = new JsonObject { ["agents"] = new JsonArray() },
    };

    private static async Task<WebhookCreated> CreateAsync(HttpClient admin, JsonObject request)
    {
        using var response = await admin.PostAsync(KavachRoutes.Webhooks, JsonContent(request));
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, text);
        var created = JsonSerializer.Deserialize<WebhookCreated>(text, Json)!;
        Assert.AreEqual($"{KavachRoutes.Webhooks}/{created.Webhook.Id}", response.Headers.Location?.OriginalString);
        return created;
    }

    private static async Task<DestinationView> ViewAsync(HttpClient admin, Guid id)
    {
        using var response = await admin.GetAsync($"{KavachRoutes.Webhooks}/{id}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        return JsonSerializer.Deserialize<DestinationView>(text, Json)!;
    }

    private static async Task<DestinationView> PostAsync(HttpClient admin, string path, JsonObject? body = null)
    {
        using var response = await admin.PostAsync(path, body is null ? null : JsonContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, $"{path}: {text}");
        return JsonSerializer.Deserialize<DestinationView>(text, Json)!;
    }

    private static async Task<List<DestinationView>> ListAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync(KavachRoutes.Webhooks);
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        return [.. JsonDocument.Parse(text).RootElement.GetProperty("webhooks").Deserialize<List<DestinationView>>(Json)!];
    }

    private static StringContent JsonContent(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>The log's head, made known by emitting one event (which no test's webhook receives).</summary>
    private static async Task<long> HeadAsync()
    {
        using var emitter = new EventsClient(Replicas[0], Tokens.Emitter());
        return (await emitter.EmitAsync(EventsClient.Event("audit", Unique("head"))))[0].Sequence;
    }

    [TestMethod]
    public async Task AWebhookIsCreatedReadListedUpdatedAndDeleted()
    {
        using var admin = Admin();
        using var other = Admin(1);
        var description = Unique("crud");
        var agent = Unique("agent");
        var request = new JsonObject
        {
            ["url"] = "https://203.0.113.10/hook",
            ["description"] = description,
            ["eventTypes"] = new JsonArray("agent.revoked", "audit", "agent.revoked"),
            ["grant"] = new JsonObject { ["types"] = new JsonArray("agent.revoked", "audit"), ["agents"] = new JsonArray(agent), ["users"] = null },
        };
        var created = await CreateAsync(admin, request);
        StringAssert.StartsWith(created.Secret, "whsec_");
        Assert.AreEqual(32, Convert.FromBase64String(created.Secret["whsec_".Length..]).Length, "a secret is 32 random bytes");
        var webhook = created.Webhook;
        Assert.AreEqual("webhook", webhook.Kind);
        Assert.AreEqual("https://203.0.113.10/hook", webhook.Url);
        Assert.AreEqual(description, webhook.Description);
        CollectionAssert.AreEqual(new[] { "agent.revoked", "audit" }, webhook.EventTypes!.ToArray(), "types are kept once each");
        CollectionAssert.AreEqual(new[] { agent }, webhook.Grant.Agents!.ToArray());
        Assert.IsNull(webhook.Grant.Users, "a null list grants anyone");
        Assert.AreEqual("enabled", webhook.State);
        Assert.AreEqual("test-admin", webhook.CreatedBy);
        Assert.AreEqual(1, webhook.Secrets!.Count);
        Assert.IsTrue(webhook.Head >= webhook.Cursor, $"head {webhook.Head}, cursor {webhook.Cursor}: a new webhook starts at the head");

        var read = await ViewAsync(other, webhook.Id);
        Assert.AreEqual(webhook.Url, read.Url);
        Assert.AreEqual(webhook.Secrets[0].Id, read.Secrets![0].Id);
        Assert.IsTrue((await ListAsync(other)).Any(w => w.Id == webhook.Id && w.Description == description));

        using (var patch = await other.PatchAsync($"{KavachRoutes.Webhooks}/{webhook.Id}",
            JsonContent(new JsonObject { ["description"] = description + "-2", ["eventTypes"] = null })))
        {
            var text = await patch.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.OK, patch.StatusCode, text);
            var updated = JsonSerializer.Deserialize<DestinationView>(text, Json)!;
            Assert.AreEqual(description + "-2", updated.Description);
            Assert.IsNull(updated.EventTypes, "a field present as null replaces: every type the grant allows");
            Assert.AreEqual(webhook.Url, updated.Url, "a field left out is kept");
            CollectionAssert.AreEqual(new[] { agent }, updated.Grant.Agents!.ToArray(), "a field left out is kept");
        }

        using (var patch = await admin.PatchAsync($"{KavachRoutes.Webhooks}/{webhook.Id}", JsonContent(new JsonObject { ["grant"] = null })))
        {
            Assert.AreEqual(HttpStatusCode.OK, patch.StatusCode, await patch.Content.ReadAsStringAsync());
            var read2 = await ViewAsync(admin, webhook.Id);
            Assert.IsNull(read2.Grant.Types);
            Assert.IsNull(read2.Grant.Agents);
        }

        using (var delete = await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{webhook.Id}"))
        {
            Assert.AreEqual(HttpStatusCode.NoContent, delete.StatusCode);
        }

        foreach (var (method, path) in new[] { (HttpMethod.Get, ""), (HttpMethod.Delete, ""), (HttpMethod.Post, "/resume"), (HttpMethod.Post, "/test") })
        {
            using var gone = await other.SendAsync(new HttpRequestMessage(method, $"{KavachRoutes.Webhooks}/{webhook.Id}{path}"));
            Assert.AreEqual(HttpStatusCode.NotFound, gone.StatusCode, $"{method} {path}");
            Assert.AreEqual("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
            StringAssert.Contains(await gone.Content.ReadAsStringAsync(), "No webhook has the id");
        }

        Assert.IsFalse((await ListAsync(admin)).Any(w => w.Id == webhook.Id));
    }

    [TestMethod]
    public async Task OnlyAnAdminTokenReachesTheWebhooksAndDestinations()
    {
        using var admin = Admin();
        var webhook = (await CreateAsync(admin, Unreachable(Unique("auth")))).Webhook;
        var routes = new (HttpMethod Method, string Path, JsonObject? Body)[]
        {
            (HttpMethod.Post, KavachRoutes.Webhooks, Unreachable(Unique("refused"))),
            (HttpMethod.Get, KavachRoutes.Webhooks, null),
            (HttpMethod.Get, $"{KavachRoutes.Webhooks}/{webhook.Id}", null),
            (HttpMethod.Patch, $"{KavachRoutes.Webhooks}/{webhook.Id}", new JsonObject { ["description"] = "taken" }),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{webhook.Id}/pause", null),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{webhook.Id}/redeliver", new JsonObject { ["fromSequence"] = 1 }),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{webhook.Id}/secrets", null),
            (HttpMethod.Post, $"{KavachRoutes.Webhooks}/{webhook.Id}/test", null),
            (HttpMethod.Delete, $"{KavachRoutes.Webhooks}/{webhook.Id}", null),
            (HttpMethod.Get, KavachRoutes.Destinations, null),
            (HttpMethod.Post, $"{KavachRoutes.Destinations}/{webhook.Id}/pause", null),
        };
        foreach (var (token, expected) in new[]
        {
            ((string?)null, HttpStatusCode.Unauthorized),
            (Tokens.Reader(), HttpStatusCode.Forbidden),
            (Tokens.EmitterAndReader(), HttpStatusCode.Forbidden),
        })
        {
            using var caller = new EventsClient(Replicas[1], token);
            foreach (var (method, path, body) in routes)
            {
                using var response = await caller.Http.SendAsync(new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent(body) });
                Assert.AreEqual(expected, response.StatusCode, $"{method} {path}");
                Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, $"{method} {path}");
                if (expected == HttpStatusCode.Forbidden)
                {
                    StringAssert.Contains(await response.Content.ReadAsStringAsync(), KavachScopes.Admin);
                }
            }
        }

        var unchanged = await ViewAsync(admin, webhook.Id);
        Assert.AreEqual("enabled", unchanged.State);
        Assert.AreEqual(webhook.Description, unchanged.Description);
        Assert.AreEqual(1, unchanged.Secrets!.Count);
        Assert.IsFalse((await ListAsync(admin)).Any(w => w.Description?.StartsWith("refused-", StringComparison.Ordinal) == true));
    }

    [TestMethod]
    public async Task EachBadFieldIsRefusedWith400AndNothingIsStored()
    {
        using var admin = Admin();
        var head = await HeadAsync();
        var marker = Unique("bad");
        JsonObject With(string field, JsonNode? value)
        {
            var request = Unreachable(marker);
            request[field] = value;
            return request;
        }

        var cases = new (string Name, string Body, string Says)[]
        {
            ("no url", new JsonObject { ["description"] = marker }.ToJsonString(), "url"),
            ("relative url", With("url", "/hook").ToJsonString(), "absolute"),
            ("ftp url", With("url", "ftp://203.0.113.10/hook").ToJsonString(), "https"),
            ("user info in url", With("url", "https://user:pw@203.0.113.10/hook").ToJsonString(), "password"),
            ("loopback url", With("url", "https://127.0.0.2/hook").ToJsonString(), "loopback"),
            ("metadata url", With("url", "https://169.254.169.254/latest").ToJsonString(), "link-local"),
            ("ipv6 loopback url", With("url", "https://[::1]/hook").ToJsonString(), "public addresses"),
            ("private url", With("url", "https://10.1.2.3/hook").ToJsonString(), "public addresses"),
            ("unknown type", With("eventTypes", new JsonArray("audit", "nope")).ToJsonString(), "'nope' is not an event type"),
            ("no types", With("eventTypes", new JsonArray()).ToJsonString(), "at least one type"),
            ("null type", With("eventTypes", new JsonArray("audit", null)).ToJsonString(), "not an event type"),
            ("unknown grant type", With("grant", new JsonObject { ["types"] = new JsonArray("agent.deleted") }).ToJsonString(), "grant.types"),
            ("empty agent", With("grant", new JsonObject { ["agents"] = new JsonArray("") }).ToJsonString(), "grant.agents"),
            ("control in user", With("grant", new JsonObject { ["users"] = new JsonArray("a\u0000b") }).ToJsonString(), "grant.users"),
            ("long agent", With("grant", new JsonObject { ["agents"] = new JsonArray(new string('a', 201)) }).ToJsonString(), "200"),
            ("grant of a string", With("grant", "everything").ToJsonString(), "grant"),
            ("unknown grant field", With("grant", new JsonObject { ["subjects"] = new JsonArray("x") }).ToJsonString(), "grant"),
            ("misspelt field", With("eventType", new JsonArray("audit")).ToJsonString(), "eventType"),
            ("sequence 0", With("fromSequence", 0).ToJsonString(), "fromSequence"),
            ("sequence past the head", With("fromSequence", head + 1_000_000).ToJsonString(), "fromSequence"),
            ("long description", With("description", marker + new string('d', 600)).ToJsonString(), "description"),
            ("not json", "{\"url\": ", "JSON"),
            ("an array", "[]", "JSON object"),
        };
        foreach (var (name, body, says) in cases)
        {
            using var response = await admin.PostAsync(KavachRoutes.Webhooks, new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, $"{name}: {text}");
            Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, name);
            StringAssert.Contains(text, says, $"{name}: the refusal says what is wrong");
        }

        var webhook = (await CreateAsync(admin, Unreachable(marker + "-kept"))).Webhook;
        foreach (var (name, body) in new[]
        {
            ("url", new JsonObject { ["url"] = "http://[::1]/hook" }),
            ("eventTypes", new JsonObject { ["eventTypes"] = new JsonArray("nope") }),
            ("fromSequence", new JsonObject { ["fromSequence"] = 1 }),
            ("grant.agents", new JsonObject { ["description"] = "changed", ["grant"] = new JsonObject { ["agents"] = new JsonArray("") } }),
        })
        {
            using var response = await admin.PatchAsync($"{KavachRoutes.Webhooks}/{webhook.Id}", JsonContent(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, $"update {name}: {text}");
            StringAssert.Contains(text, name);
        }

        using (var redeliver = await admin.PostAsync($"{KavachRoutes.Webhooks}/{webhook.Id}/redeliver",
            JsonContent(new JsonObject { ["fromSequence"] = head + 1_000_000 })))
        {
            Assert.AreEqual(HttpStatusCode.BadRequest, redeliver.StatusCode);
            StringAssert.Contains(await redeliver.Content.ReadAsStringAsync(), "the next event");
        }

        using (var rotate = await admin.PostAsync($"{KavachRoutes.Webhooks}/{webhook.Id}/secrets?overlapHours=-1", null))
        {
            Assert.AreEqual(HttpStatusCode.BadRequest, rotate.StatusCode);
        }

        var stored = (await ListAsync(admin)).Where(w => w.Description?.StartsWith(marker, StringComparison.Ordinal) == true).ToList();
        Assert.AreEqual(1, stored.Count, "only the valid webhook was stored: " + string.Join(", ", stored.Select(w => w.Description)));
        Assert.AreEqual(marker + "-kept", stored[0].Description, "a refused update changed nothing");
        Assert.AreEqual("https://203.0.113.10/hook", stored[0].Url);
        Assert.AreEqual(1, stored[0].Secrets!.Count, "a refused rotation added no secret");
        await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{webhook.Id}");
    }

    [TestMethod]
    public async Task PauseResumeAndRedeliverChangeTheStateAndTheCursor()
    {
        using var admin = Admin();
        var from = await HeadAsync();
        var webhook = (await CreateAsync(admin, new JsonObject
        {
            ["url"] = "https://203.0.113.10/hook",
            ["description"] = Unique("state"),
            ["grant"] = new JsonObject { ["agents"] = new JsonArray() },
            ["fromSequence"] = from,
        })).Webhook;
        Assert.AreEqual(from - 1, webhook.Cursor, "created from N: the cursor stands just before N");

        var paused = await PostAsync(admin, $"{KavachRoutes.Webhooks}/{webhook.Id}/pause", new JsonObject { ["reason"] = "maintenance" });
        Assert.AreEqual("paused", paused.State);
        Assert.AreEqual("paused by test-admin: maintenance", paused.StateReason);

        var rewound = await PostAsync(admin, $"{KavachRoutes.Webhooks}/{webhook.Id}/redeliver", new JsonObject { ["fromSequence"] = from });
        Assert.AreEqual(from - 1, rewound.Cursor, "redeliver from N: the cursor stands just before N");
        Assert.AreEqual("paused", rewound.State, "redelivering does not resume");
        Assert.AreEqual(from - 1, (await ViewAsync(admin, webhook.Id)).Cursor, "a paused webhook's cursor stays");
        Assert.IsTrue(rewound.Lag >= 1, $"lag {rewound.Lag}");
        Assert.IsNotNull(rewound.OldestUndeliveredAt, "with a lag, the oldest undelivered event has a time");

        var viaConsole = await PostAsync(admin, $"{KavachRoutes.Destinations}/{webhook.Id}/resume");
        Assert.AreEqual("enabled", viaConsole.State);
        Assert.IsNull(viaConsole.StateReason);

        using (var list = await admin.GetAsync(KavachRoutes.Destinations))
        {
            var all = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("destinations").Deserialize<List<DestinationView>>(Json)!;
            var listed = all.Single(d => d.Id == webhook.Id);
            Assert.AreEqual("webhook", listed.Kind);
            Assert.AreEqual(listed.Head - listed.Cursor, listed.Lag);
        }

        var pausedAgain = await PostAsync(admin, $"{KavachRoutes.Destinations}/{webhook.Id}/pause");
        Assert.AreEqual("paused by test-admin", pausedAgain.StateReason);
        await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{webhook.Id}");
    }

    [TestMethod]
    public async Task AfterARotationMessagesCarryTheOldAndNewSignaturesUntilTheOverlapEnds()
    {
        // The system's replicas leave delivery to in-process hosts (KavachSystem): this one sends, and is asked to rotate.
        await using var host = await StreamApiHost.StartAsync(withRedis: true, new Dictionary<string, string?>
        {
            ["Kavach:Delivery:AllowedPrivateTargets:0"] = "127.0.0.1/32",
            ["Kavach:Delivery:FirstRetry"] = "00:00:00.200",
        }, onKestrel: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        using var admin = new EventsClient(host.KestrelAddress, Tokens.Admin()).Http;
        using var emitter = new EventsClient(Replicas[1], Tokens.Emitter());
        var agent = Unique("agent");
        var created = await CreateAsync(admin, new JsonObject
        {
            ["url"] = receiver.Url.ToString(),
            ["description"] = Unique("rotation"),
            ["grant"] = new JsonObject { ["agents"] = new JsonArray(agent) },
        });
        var (webhook, first) = (created.Webhook, created.Secret);

        var e1 = (await emitter.EmitAsync(EventsClient.Event("audit", agent)))[0];
        var d1 = await receiver.WaitForAsync(d => d.Id == e1.Id, Generous, "the first event");
        Assert.AreEqual(1, d1.Signatures.Count);
        Assert.IsTrue(d1.VerifiesWith(first));

        var rotated = await RotateAsync(admin, webhook.Id, overlapHours: 1);
        Assert.AreNotEqual(first, rotated.Secret);
        Assert.AreEqual(2, rotated.Webhook.Secrets!.Count);
        Assert.IsNull(rotated.Webhook.Secrets.Single(s => s.Id != webhook.Secrets![0].Id).ExpiresAt, "the new secret does not expire");
        var old = rotated.Webhook.Secrets.Single(s => s.Id == webhook.Secrets![0].Id);
        Assert.IsNotNull(old.ExpiresAt);
        Assert.IsTrue(old.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(50) && old.ExpiresAt < DateTimeOffset.UtcNow.AddMinutes(70), $"{old.ExpiresAt}");

        var e2 = (await emitter.EmitAsync(EventsClient.Event("audit", agent)))[0];
        var d2 = await receiver.WaitForAsync(d => d.Id == e2.Id, Generous, "the event after the rotation");
        Assert.AreEqual(2, d2.Signatures.Count, "during the overlap: one signature per secret");
        Assert.AreEqual(1, d2.SignaturesMadeBy(first), "the old secret still signs");
        Assert.AreEqual(1, d2.SignaturesMadeBy(rotated.Secret), "the new secret signs");
        Assert.IsTrue(d2.VerifiesWith(rotated.Secret), "a receiver that knows only the new secret verifies");
        Assert.IsFalse(d2.VerifiesWith("whsec_" + Convert.ToBase64String(new byte[32])), "a wrong secret does not");

        var third = await RotateAsync(admin, webhook.Id, overlapHours: 0);
        Assert.AreEqual(1, third.Webhook.Secrets!.Count, "with no overlap the older secrets end at once");
        var e3 = (await emitter.EmitAsync(EventsClient.Event("audit", agent)))[0];
        var d3 = await receiver.WaitForAsync(d => d.Id == e3.Id, Generous, "the event after the overlap");
        Assert.AreEqual(1, d3.Signatures.Count);
        Assert.IsTrue(d3.VerifiesWith(third.Secret));
        Assert.IsFalse(d3.VerifiesWith(first) || d3.VerifiesWith(rotated.Secret), "an ended secret no longer signs");

        using var stored = JsonDocument.Parse(await admin.GetStringAsync($"{KavachRoutes.Webhooks}/{webhook.Id}"));
        var text = stored.RootElement.GetRawText() + await admin.GetStringAsync(KavachRoutes.Webhooks) + await admin.GetStringAsync(KavachRoutes.Destinations);
        foreach (var secret in new[] { first, rotated.Secret, third.Secret })
        {
            Assert.IsFalse(text.Contains(secret["whsec_".Length..], StringComparison.Ordinal), "a secret's value is shown only when it is made");
        }

        var logs = await StreamApiLogs.ReadAsync(TimeSpan.FromSeconds(5));
        Assert.IsTrue(logs.Contains(KavachRoutes.Webhooks, StringComparison.Ordinal), "request logs were not captured, so this check would prove nothing");
        foreach (var secret in new[] { first, rotated.Secret, third.Secret })
        {
            Assert.IsFalse(logs.Contains(secret["whsec_".Length..], StringComparison.Ordinal), "a secret's value leaked into the logs");
        }

        await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{webhook.Id}");
    }

    [TestMethod]
    public async Task TheTestMessageIsSignedSentNowAndLeavesTheCursorAlone()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => Task.FromResult(204);
        using var admin = Admin();
        var created = await CreateAsync(admin, new JsonObject
        {
            ["url"] = receiver.Url.ToString(),
            ["description"] = Unique("test-message"),
            ["grant"] = new JsonObject { ["agents"] = new JsonArray() },
        });
        var paused = await PostAsync(admin, $"{KavachRoutes.Webhooks}/{created.Webhook.Id}/pause");

        var results = new List<WebhookTestResult>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await admin.PostAsync($"{KavachRoutes.Webhooks}/{created.Webhook.Id}/test", null);
            var text = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
            results.Add(JsonSerializer.Deserialize<WebhookTestResult>(text, Json)!);
        }

        Assert.IsTrue(results.All(r => r.Accepted && r.Status == 204 && r.Error is null), string.Join(", ", results));
        var tests = receiver.Received.Where(d => d.Type == "webhook.test").ToList();
        Assert.AreEqual(2, tests.Count, "sent at once, even to a paused webhook");
        Assert.AreNotEqual(tests[0].Id, tests[1].Id, "each test message has a fresh webhook-id");
        Assert.IsTrue(tests.All(t => t.VerifiesWith(created.Secret)), "signed like every message");
        Assert.AreEqual(paused.Cursor, (await ViewAsync(admin, created.Webhook.Id)).Cursor, "the cursor did not move");

        receiver.Answer = _ => Task.FromResult(500);
        using (var failing = await admin.PostAsync($"{KavachRoutes.Webhooks}/{created.Webhook.Id}/test", null))
        {
            var result = JsonSerializer.Deserialize<WebhookTestResult>(await failing.Content.ReadAsStringAsync(), Json)!;
            Assert.IsFalse(result.Accepted);
            Assert.AreEqual(500, result.Status);
            Assert.IsNotNull(result.Error);
        }

        await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{created.Webhook.Id}");
    }

    [TestMethod]
    public async Task MalformedWebhookRequestsAreRefusedWithAProblemAndNeverA500()
    {
        using var admin = Admin();
        var marker = Unique("fuzz");
        var target = (await CreateAsync(admin, Unreachable(marker + "-target"))).Webhook;
        var random = new Random(2112);
        JsonNode?[] values =
        [
            null, "", "x", 0, -1, long.MaxValue, 1.5, true, new JsonArray(), new JsonArray("audit"), new JsonArray(1), new JsonArray((JsonNode?)null),
            new JsonObject(), new JsonObject { ["types"] = 1 }, new JsonObject { ["agents"] = new JsonArray("\ud800") }, "\u0000", "\ud800x",
            new string('a', 5000), "https://203.0.113.10/hook", "http://[::1]/", "https://[fe80::1%25eth0]/", "javascript:alert(1)",
            "https://203.0.113.10:99999/", $"https://{string.Join('.', Enumerable.Repeat(new string('h', 60), 5))}/", "https://[::ffff:a9fe:a9fe]/",
            "https://0x7f000001/", "https://2130706433/", "https://127.1/", "https://①②⑦.0.0.1/", "file:///etc/passwd", "//203.0.113.10/x",
        ];
        string[] fields = ["url", "description", "eventTypes", "grant", "fromSequence", "URL", "Grant", "extra"];
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < 300; i++)
        {
            var body = new JsonObject();
            for (var f = random.Next(1, 5); f > 0; f--)
            {
                body[fields[random.Next(fields.Length)]] = values[random.Next(values.Length)]?.DeepClone();
            }

            body["description"] ??= marker;
            var text = random.Next(10) switch
            {
                0 => body.ToJsonString()[..random.Next(1, body.ToJsonString().Length)],
                1 => new string('[', 10_000) + new string(']', 10_000),
                _ => body.ToJsonString(),
            };
            var patch = random.Next(2) == 0;
            using var response = patch
                ? await admin.PatchAsync($"{KavachRoutes.Webhooks}/{target.Id}", new StringContent(text, Encoding.UTF8, "application/json"))
                : await admin.PostAsync(KavachRoutes.Webhooks, new StringContent(text, Encoding.UTF8, "application/json"));
            var answer = await response.Content.ReadAsStringAsync();
            statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
            Assert.IsTrue((int)response.StatusCode < 500, $"{(patch ? "PATCH" : "POST")} {text[..Math.Min(text.Length, 300)]} → {(int)response.StatusCode} {answer}");
            if ((int)response.StatusCode >= 400)
            {
                Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, text);
            }
            else if (response.StatusCode == HttpStatusCode.Created)
            {
                await admin.DeleteAsync(response.Headers.Location!.OriginalString);
            }
        }

        Console.WriteLine("statuses: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        Assert.IsTrue(statuses.GetValueOrDefault(400) > 100, "most of the bodies are bad ones");
        await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{target.Id}");
    }

    [TestMethod]
    public async Task TheOpenApiDescriptionListsEveryWebhookAndDestinationRoute()
    {
        using var reader = new EventsClient(Replicas[0], Tokens.Reader());
        var paths = (await reader.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            (KavachRoutes.Webhooks, "post"), (KavachRoutes.Webhooks, "get"), ($"{KavachRoutes.Webhooks}/{{id}}", "patch"),
            ($"{KavachRoutes.Webhooks}/{{id}}", "delete"), ($"{KavachRoutes.Webhooks}/{{id}}/test", "post"),
            ($"{KavachRoutes.Webhooks}/{{id}}/secrets", "post"), ($"{KavachRoutes.Webhooks}/{{id}}/redeliver", "post"),
            (KavachRoutes.Destinations, "get"), ($"{KavachRoutes.Destinations}/{{id}}/resume", "post"),
        })
        {
            Assert.IsTrue(paths.TryGetProperty(path, out var item), path);
            Assert.IsTrue(item.TryGetProperty(method, out var operation), $"{method} {path}");
            Assert.IsFalse(string.IsNullOrEmpty(operation.GetProperty("summary").GetString()), $"{method} {path} has a summary");
        }
    }

    private static async Task<WebhookCreated> RotateAsync(HttpClient admin, Guid id, int overlapHours)
    {
        using var response = await admin.PostAsync($"{KavachRoutes.Webhooks}/{id}/secrets?overlapHours={overlapHours}", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, text);
        return JsonSerializer.Deserialize<WebhookCreated>(text, Json)!;
    }
}
