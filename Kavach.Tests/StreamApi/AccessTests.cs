using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;
using Kavach.Tests.Support;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// Who may see what, and for how long, against the running system: scopes, each holder's events on every read path
/// (live and resumed on both replicas, pages, replay), refused widening, streams that end at their token's expiry or
/// revocation on both replicas, and the token endpoints' guards.
/// </summary>
[TestClass]
public sealed class AccessTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static IReadOnlyList<Uri> Replicas => KavachSystem.StreamApiReplicas;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static JsonObject Event(string type, string? agentId, string? userId)
    {
        var e = new JsonObject { ["type"] = type, ["data"] = new JsonObject { ["note"] = "access" } };
        if (agentId is not null)
        {
            e["agentId"] = agentId;
        }

        if (userId is not null)
        {
            e["userId"] = userId;
        }

        return e;
    }

    [TestMethod]
    public async Task ReadingNeedsTheReadScopeAndEmittingTheEmitScope()
    {
        var unscoped = Tokens.WithoutScopes();
        await using var stream = await SseClient.ConnectAsync(Replicas[0], unscoped);
        Assert.AreEqual(HttpStatusCode.Forbidden, stream.Response.StatusCode);
        Assert.AreEqual("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        var refusal = (await stream.ReadToEndAsync(Generous)).Single();
        Assert.AreEqual("error", refusal.EventType);
        Assert.AreEqual("FORBIDDEN", refusal.Json.GetProperty("code").GetString());
        StringAssert.Contains(refusal.Json.GetProperty("message").GetString(), "events:read");

        using var client = new EventsClient(Replicas[1], unscoped);
        foreach (var path in new[] { "/api/kavach/events", "/api/kavach/events/replay?since=2026-01-01T00:00:00Z", "/api/kavach/events/stream/connections" })
        {
            using var response = await client.Http.GetAsync(path);
            Assert.AreEqual(HttpStatusCode.Forbidden, response.StatusCode, path);
            Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, path);
        }

        using var readerEmits = new EventsClient(Replicas[0], Tokens.Reader());
        using var emit = await readerEmits.PostAsync(Event("audit", "a", null));
        Assert.AreEqual(HttpStatusCode.Forbidden, emit.StatusCode);
        StringAssert.Contains(await emit.Content.ReadAsStringAsync(), "events:emit");
    }

    [TestMethod]
    public async Task EachHolderReadsExactlyItsEventsLiveResumedPagedAndReplayedOnBothReplicas()
    {
        var (a1, a2, u1, u2) = (Unique("agent"), Unique("agent"), Unique("user"), Unique("user"));
        var holders = new (string Name, string Token, Func<string, string?, string?, bool> Sees)[]
        {
            ("soc", Tokens.Reader("soc"), (_, _, _) => true),
            ("admin of u1", Tokens.Reader("admin", new TokenGrants(Users: [u1])), (_, _, user) => user == u1),
            ("agent a1", Tokens.Reader(a1, new TokenGrants(SubjectKind: "agent")), (_, agent, _) => agent == a1),
            ("anomalies of a2", Tokens.Reader("hunter", new TokenGrants(Types: ["anomaly.detected"], Agents: [a2])),
                (type, agent, _) => type == "anomaly.detected" && agent == a2),
        };

        using var emitter = new EventsClient(Replicas[1], Tokens.Emitter());
        var marker = (await emitter.EmitAsync(Event("audit", "marker", null)))[0];
        var since = DateTimeOffset.UtcNow.AddSeconds(-2);

        // Live streams on both replicas, opened before anything is emitted.
        var live = new List<(string Holder, int Replica, SseClient Stream)>();
        foreach (var (name, token, _) in holders)
        {
            for (var r = 0; r < Replicas.Count; r++)
            {
                var stream = await SseClient.ConnectAsync(Replicas[r], token);
                Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode, $"{name} on replica {r}");
                await stream.NextAsync();
                live.Add((name, r, stream));
            }
        }

        try
        {
            // Every combination of type and party, from both replicas.
            var emitted = new List<(string Id, long Sequence, string Type, string? Agent, string? User)>();
            var sent = new List<(string Type, string? Agent, string? User)>();
            foreach (var type in new[] { "audit", "anomaly.detected", "agent.rotated" })
            {
                foreach (var (agent, user) in new[] { (a1, (string?)u1), (a1, u2), (a2, u1), (a2, null), ((string?)null, u2), (null, null) })
                {
                    sent.Add((type, agent, user));
                }
            }

            // Fences: each holder's last event is one of these two, so once it arrives everything before it has too.
            sent.Add(("anomaly.detected", a1, u1));
            sent.Add(("anomaly.detected", a2, u1));
            for (var i = 0; i < sent.Count; i++)
            {
                var (type, agent, user) = sent[i];
                using var client = new EventsClient(Replicas[i % Replicas.Count], Tokens.Emitter());
                var answer = (await client.EmitAsync(Event(type, agent, user)))[0];
                emitted.Add((answer.Id, answer.Sequence, type, agent, user));
            }

            var last = emitted.Max(e => e.Sequence);
            foreach (var (name, token, sees) in holders)
            {
                var expected = emitted.Where(e => sees(e.Type, e.Agent, e.User)).Select(e => e.Id).ToList();
                Assert.IsNotEmpty(expected, name);

                var lastExpected = expected[^1];
                foreach (var (_, replica, stream) in live.Where(l => l.Holder == name))
                {
                    var received = await stream.CollectAsync(r => r.Any(e => IdOf(e) == lastExpected), Generous);
                    AssertSame(expected, received.Where(e => e.Sequence > marker.Sequence), $"{name}, live on replica {replica}");
                }

                for (var replica = 0; replica < Replicas.Count; replica++)
                {
                    await using var resumed = await SseClient.ConnectAsync(Replicas[replica], token,
                        lastEventId: marker.Sequence.ToString(CultureInfo.InvariantCulture));
                    var got = await resumed.CollectAsync(r => r.Any(e => IdOf(e) == lastExpected), Generous);
                    AssertSame(expected, got, $"{name}, resumed on replica {replica}");

                    using var reader = new EventsClient(Replicas[replica], token);
                    var page = await reader.GetJsonAsync($"/api/kavach/events?after={marker.Sequence}&limit=1000");
                    AssertSame(expected, page.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("sequence").GetInt64() <= last), $"{name}, paged on replica {replica}");

                    var replay = await reader.GetJsonAsync($"/api/kavach/events/replay?since={Uri.EscapeDataString(since.ToString("O", CultureInfo.InvariantCulture))}");
                    // Replay answers newest first.
                    AssertSame(Enumerable.Reverse(expected).ToList(), replay.GetProperty("events").EnumerateArray()
                        .Where(e => e.GetProperty("sequence").GetInt64() > marker.Sequence && e.GetProperty("sequence").GetInt64() <= last),
                        $"{name}, replayed on replica {replica}");
                }
            }
        }
        finally
        {
            foreach (var (_, _, stream) in live)
            {
                await stream.DisposeAsync();
            }
        }
    }

    private static string IdOf(ReceivedEvent e) => e.Json.GetProperty("id").GetString()!;

    private static void AssertSame(List<string> expected, IEnumerable<ReceivedEvent> received, string path) =>
        AssertSame(expected, received.Select(e => e.Json), path);

    private static void AssertSame(List<string> expected, IEnumerable<JsonElement> received, string path)
    {
        var ids = received.Select(e => e.GetProperty("id").GetString()!).ToList();
        CollectionAssert.AreEqual(expected, ids, $"{path}: expected {expected.Count} events, got {ids.Count}");
    }

    [TestMethod]
    public async Task ARequestCanNarrowItsTokenButNeverWidenIt()
    {
        var (mine, other) = (Unique("agent"), Unique("agent"));
        var agentToken = Tokens.Reader(mine, new TokenGrants(SubjectKind: "agent"));
        var anomaliesOnly = Tokens.Reader("hunter", new TokenGrants(Types: ["anomaly.detected"]));

        foreach (var (token, query, why) in new[]
                 {
                     (agentToken, $"?agentId={other}", "another agent"),
                     (anomaliesOnly, "?types=audit", "a type outside the grant"),
                     (anomaliesOnly, "?types=anomaly.detected,audit", "a list with one type outside the grant"),
                 })
        {
            await using var stream = await SseClient.ConnectAsync(Replicas[0], token, query);
            Assert.AreEqual(HttpStatusCode.Forbidden, stream.Response.StatusCode, why);
            using var reader = new EventsClient(Replicas[1], token);
            using var page = await reader.Http.GetAsync("/api/kavach/events" + query);
            Assert.AreEqual(HttpStatusCode.Forbidden, page.StatusCode, why + " (page)");
        }

        // Narrowing within the grant is fine.
        await using var narrowed = await SseClient.ConnectAsync(Replicas[0], agentToken, $"?agentId={mine}&types=audit");
        Assert.AreEqual(HttpStatusCode.OK, narrowed.Response.StatusCode);
    }

    [TestMethod]
    public async Task AStreamEndsAtItsTokensExpiryOnBothReplicasAndAFreshTokenResumesWithoutLoss()
    {
        var agent = Unique("agent");
        using var emitter = new EventsClient(Replicas[0], Tokens.Emitter());
        var shortLived = Tokens.ReaderFor(TimeSpan.FromSeconds(4));
        var expires = new JsonWebToken(shortLived).ValidTo;
        var streams = new List<SseClient>();
        foreach (var replica in Replicas)
        {
            streams.Add(await SseClient.ConnectAsync(replica, shortLived));
        }

        var before = await emitter.EmitAsync(Event("audit", agent, null));
        foreach (var stream in streams)
        {
            var received = await stream.CollectAsync(r => r.Any(e => e.AgentId == agent), Generous);
            var frames = await stream.ReadToEndAsync(Generous);
            var end = frames.Last();
            Assert.AreEqual("error", end.EventType, string.Join(",", frames.Select(f => f.EventType)));
            Assert.AreEqual("TOKEN_EXPIRED", end.Json.GetProperty("code").GetString());
            Assert.IsTrue(DateTime.UtcNow >= expires.AddSeconds(-1), "ended before the token's exp");
            Console.WriteLine($"stream ended {(DateTime.UtcNow - expires).TotalSeconds:0.0} s after exp");
        }

        var during = await emitter.EmitAsync(Event("audit", agent, null), Event("audit", agent, null));
        foreach (var replica in Replicas)
        {
            await using var resumed = await SseClient.ConnectAsync(replica, Tokens.Reader(),
                lastEventId: before[0].Sequence.ToString(CultureInfo.InvariantCulture));
            var got = await resumed.CollectAsync(r => r.Count(e => e.AgentId == agent) >= 2, Generous);
            CollectionAssert.AreEqual(during.Select(e => e.Sequence).ToList(), got.Where(e => e.AgentId == agent).Select(e => e.Sequence).ToList());
        }

        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task RevokingATokenClosesItsStreamsOnBothReplicasAndRefusesItFromThenOn()
    {
        var token = Tokens.Reader(Unique("revokee"));
        var jti = new JsonWebToken(token).Id;
        var streams = new List<SseClient>();
        foreach (var replica in Replicas)
        {
            var stream = await SseClient.ConnectAsync(replica, token);
            await stream.NextAsync();
            streams.Add(stream);
        }

        using var admin = new EventsClient(Replicas[0], Tokens.Admin());
        var revokedAt = Stopwatch.StartNew();
        using var revoke = await admin.Http.PostAsync("/api/kavach/revocations",
            new StringContent($$"""{"tokenId":"{{jti}}","reason":"test"}""", Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.Created, revoke.StatusCode, await revoke.Content.ReadAsStringAsync());

        foreach (var stream in streams)
        {
            var end = (await stream.ReadToEndAsync(Generous)).Last();
            Assert.AreEqual("TOKEN_REVOKED", end.Json.GetProperty("code").GetString());
        }

        var closedIn = revokedAt.Elapsed;
        Console.WriteLine($"both replicas closed the revoked token's streams {closedIn.TotalSeconds:0.00} s after the revocation");
        Assert.IsLessThan(TimeSpan.FromSeconds(10), closedIn, "far beyond the promised 2 s");

        foreach (var replica in Replicas)
        {
            await using var again = await SseClient.ConnectAsync(replica, token);
            Assert.AreEqual(HttpStatusCode.Unauthorized, again.Response.StatusCode);
            Assert.AreEqual("TOKEN_REVOKED", (await again.ReadToEndAsync(Generous)).Single().Json.GetProperty("code").GetString());
            using var page = await new EventsClient(replica, token).Http.GetAsync("/api/kavach/events");
            Assert.AreEqual(HttpStatusCode.Unauthorized, page.StatusCode);
        }

        await using var fresh = await SseClient.ConnectAsync(Replicas[1], Tokens.Reader("another"));
        Assert.AreEqual(HttpStatusCode.OK, fresh.Response.StatusCode, "another token is unaffected");

        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task RevokingASubjectRefusesTheTokensItHeldButNotOnesIssuedAfter()
    {
        var subject = Unique("subject");
        var old = Tokens.Reader(subject);
        await WallClock.NextSecondAsync(); // iat has one-second resolution
        using var admin = new EventsClient(Replicas[1], Tokens.Admin());
        using var revoke = await admin.Http.PostAsync("/api/kavach/revocations",
            new StringContent($$"""{"subject":"{{subject}}"}""", Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.Created, revoke.StatusCode, await revoke.Content.ReadAsStringAsync());
        await WallClock.NextSecondAsync();

        await using var refused = await SseClient.ConnectAsync(Replicas[0], old);
        Assert.AreEqual(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
        await using var renewed = await SseClient.ConnectAsync(Replicas[0], Tokens.Reader(subject));
        Assert.AreEqual(HttpStatusCode.OK, renewed.Response.StatusCode);
    }

    [TestMethod]
    public async Task AnAdminsAgentRevokedEventEndsThatAgentsOwnStreams()
    {
        var agent = Unique("agent");
        var token = Tokens.Reader(agent, new TokenGrants(SubjectKind: "agent"));
        await using var own = await SseClient.ConnectAsync(Replicas[0], token);
        await using var soc = await SseClient.ConnectAsync(Replicas[1], Tokens.Reader("soc"));
        await own.NextAsync();
        await soc.NextAsync();

        using var emitter = new EventsClient(Replicas[1], Tokens.AdminEmitter());
        await emitter.EmitAsync(Event("agent.revoked", agent, null));

        var end = (await own.ReadToEndAsync(Generous)).Last();
        Assert.AreEqual("TOKEN_REVOKED", end.Json.GetProperty("code").GetString());
        Assert.IsTrue((await soc.CollectAsync(r => r.Any(e => e.AgentId == agent), Generous)).Any(), "others still read it");

        await using var again = await SseClient.ConnectAsync(Replicas[1], token);
        Assert.AreEqual(HttpStatusCode.Unauthorized, again.Response.StatusCode, "the revoked agent's token is refused on reconnect");
    }

    [TestMethod]
    public async Task TokensFromAnotherIssuerAndQueryTokensOffTheStreamAreRefused()
    {
        var foreign = KavachTokens.Issue(KavachSystem.SigningKey, "x", [KavachScopes.Read], TimeSpan.FromHours(1), issuer: "someone-else");
        using var client = new EventsClient(Replicas[0], foreign);
        using var page = await client.Http.GetAsync("/api/kavach/events");
        Assert.AreEqual(HttpStatusCode.Unauthorized, page.StatusCode);

        using var anonymous = new HttpClient { BaseAddress = Replicas[0] };
        using var queryToken = await anonymous.GetAsync($"/api/kavach/events?token={Tokens.Reader()}");
        Assert.AreEqual(HttpStatusCode.Unauthorized, queryToken.StatusCode, "a query-string token works on the stream only");

        await using var stream = await SseClient.ConnectAsync(anonymous, null, $"?token={Tokens.Reader()}");
        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode);
    }

    [TestMethod]
    public async Task TheDevelopmentTokenEndpointCannotBeReachedCrossSite()
    {
        using var http = new HttpClient { BaseAddress = Replicas[0] };

        // A page elsewhere would have to ask first (a JSON body is not a simple request), and CORS never says yes here.
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/kavach/dev/tokens");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var preflightAnswer = await http.SendAsync(preflight);
        Assert.IsFalse(preflightAnswer.Headers.Contains("Access-Control-Allow-Origin"), "the preflight must not be allowed");

        // A simple cross-site form post is not what the endpoint takes.
        using var form = new HttpRequestMessage(HttpMethod.Post, "/api/kavach/dev/tokens")
        {
            Content = new FormUrlEncodedContent([new("subject", "x")]),
        };
        form.Headers.Add("Origin", "https://evil.example");
        using var formAnswer = await http.SendAsync(form);
        Assert.IsFalse(formAnswer.IsSuccessStatusCode);
        Assert.IsFalse(formAnswer.Headers.Contains("Access-Control-Allow-Origin"));

        // A page that rebinds its own name to 127.0.0.1 still sends its own Host.
        using var rebound = new HttpRequestMessage(HttpMethod.Post, "/api/kavach/dev/tokens")
        {
            Content = new StringContent("""{"subject":"x"}""", Encoding.UTF8, "application/json"),
        };
        rebound.Headers.Host = "evil.example";
        using var reboundAnswer = await http.SendAsync(rebound);
        Assert.AreEqual(HttpStatusCode.Forbidden, reboundAnswer.StatusCode);

        // The developer on this machine gets a token, as the README shows.
        using var own = await http.PostAsync("/api/kavach/dev/tokens",
            new StringContent("""{"subject":"me","scope":"events:read"}""", Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.OK, own.StatusCode, await own.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task AServiceClientGetsATokenWithAtMostItsScopes()
    {
        using var http = new HttpClient { BaseAddress = Replicas[1] };
        async Task<HttpResponseMessage> AskAsync(string secret, string scope) =>
            await http.PostAsync("/api/kavach/tokens", new FormUrlEncodedContent(
            [
                new("grant_type", "client_credentials"), new("client_id", "kavach-console"), new("client_secret", secret), new("scope", scope),
            ]));

        using var wrong = await AskAsync("not-the-secret", "events:read");
        Assert.AreEqual(HttpStatusCode.Unauthorized, wrong.StatusCode);

        // The console's client holds read, emit (demo traffic) and admin (its destinations page), never the SSF scopes.
        using var tooMuch = await AskAsync(KavachSystem.ConsoleClientSecret, "events:read ssf.manage");
        Assert.AreEqual(HttpStatusCode.Forbidden, tooMuch.StatusCode);

        using var granted = await AskAsync(KavachSystem.ConsoleClientSecret, "events:read");
        Assert.AreEqual(HttpStatusCode.OK, granted.StatusCode, await granted.Content.ReadAsStringAsync());
        var answer = JsonDocument.Parse(await granted.Content.ReadAsStringAsync()).RootElement;
        Assert.AreEqual("events:read", answer.GetProperty("scope").GetString());
        var token = answer.GetProperty("access_token").GetString()!;
        Assert.AreEqual("kavach-console", new JsonWebToken(token).Subject);

        await using var stream = await SseClient.ConnectAsync(Replicas[0], token);
        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode);
        using var emit = await new EventsClient(Replicas[0], token).PostAsync(Event("audit", "x", null));
        Assert.AreEqual(HttpStatusCode.Forbidden, emit.StatusCode, "read-only means read-only");
    }
}
