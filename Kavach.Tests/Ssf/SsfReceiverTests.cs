using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;
using Kavach.StreamApi.Emit;
using Kavach.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.Tests.Ssf;

/// <summary>
/// An SSF receiver against our transmitter (docs/ssf.md), as one would be written from the specifications: it reads the
/// discovery document and the keys, makes streams, verifies them, and receives SETs pushed to a Kestrel endpoint of its
/// own (RFC 8935) or polled (RFC 8936), checking every signature with its own code. Each test's receiver reads only its
/// own agent's events (its token's grant, which its streams inherit), so the suite's other events never reach it.
/// </summary>
[TestClass]
public sealed class SsfReceiverTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private const string ReceiverClientId = "ssf-receiver-client";
    private const string ReceiverClientSecret = "ssf-receiver-client-secret-0123456789";
    private static StreamApiHost s_host = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context) =>
        s_host = await StreamApiHost.StartAsync(withRedis: true, new Dictionary<string, string?>
        {
            ["Kavach:Delivery:AllowedPrivateTargets:0"] = "127.0.0.0/8",
            ["Kavach:Delivery:FirstRetry"] = "00:00:00.200",
            ["Kavach:Delivery:MaxBackoff"] = "00:00:01",
            ["Kavach:Delivery:LeaseDuration"] = "00:00:03",
            ["Kavach:Delivery:Timeout"] = "00:00:02", // shorter than the lease, as the engine requires
            ["Kavach:Ssf:PollMaxWait"] = "00:00:10",
            ["Kavach:Auth:Clients:0:Id"] = ReceiverClientId,
            ["Kavach:Auth:Clients:0:Secret"] = ReceiverClientSecret,
            ["Kavach:Auth:Clients:0:Scopes"] = "ssf.manage ssf.read",
        });

    [ClassCleanup]
    public static async Task StopAsync() => await s_host.DisposeAsync();

    private sealed record Receiver(string Subject, string Agent, HttpClient Http) : IDisposable
    {
        public void Dispose() => Http.Dispose();
    }

    private static Receiver NewReceiver(params string[] scopes)
    {
        var agent = $"agent-{Guid.NewGuid():N}";
        var subject = $"receiver-{Guid.NewGuid():N}";
        var token = KavachTokens.Issue(KavachSystem.SigningKey, subject, scopes.Length > 0 ? scopes : [KavachScopes.SsfManage], TimeSpan.FromHours(1),
            grants: new TokenGrants(Agents: [agent]));
        var http = s_host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new Receiver(subject, agent, http);
    }

    private static async Task<IReadOnlyList<EmittedEvent>> EmitAsync(params EventDraft[] drafts) =>
        (await s_host.Module.EmitAsync(drafts)).Stored();

    private static EventDraft Draft(string type, string agent, string? user = null, string data = """{"reason":"test"}""") =>
        new(type, JsonDocument.Parse(data).RootElement, AgentId: agent, UserId: user);

    private static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body is string text ? text : JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(expected, response.StatusCode, $"{method} {path}: {answer}");
        return answer.Length == 0 ? default : JsonDocument.Parse(answer).RootElement.Clone();
    }

    private static async Task<(JsonElement Configuration, JsonElement Jwks)> DiscoverAsync(HttpClient http)
    {
        var configuration = await SendAsync(http, HttpMethod.Get, KavachRoutes.SsfConfiguration, null, HttpStatusCode.OK);
        var jwks = await SendAsync(http, HttpMethod.Get, new Uri(configuration.GetProperty("jwks_uri").GetString()!).PathAndQuery, null, HttpStatusCode.OK);
        return (configuration, jwks);
    }

    private static string PathOf(JsonElement configuration, string endpoint) => new Uri(configuration.GetProperty(endpoint).GetString()!).PathAndQuery;

    private static async Task<JsonElement> PollAsync(Receiver receiver, JsonElement stream, object request) =>
        await SendAsync(receiver.Http, HttpMethod.Post, new Uri(stream.GetProperty("delivery").GetProperty("endpoint_url").GetString()!).PathAndQuery,
            request, HttpStatusCode.OK);

    /// <summary>A poll's SETs, verified, by jti, in the order the answer lists them.</summary>
    private static List<(string Jti, string Set, JsonElement Claims)> Sets(JsonElement answer, JsonElement jwks, string issuer) =>
        [.. answer.GetProperty("sets").EnumerateObject().Select(s => (s.Name, s.Value.GetString()!, SetVerifier.Verify(s.Value.GetString()!, jwks, issuer)))];

    [TestMethod]
    public async Task DiscoveryAnnouncesEveryEndpointAndTheInteroperabilityProfilesFields()
    {
        using var receiver = NewReceiver(KavachScopes.SsfRead);
        var (configuration, jwks) = await DiscoverAsync(receiver.Http);
        Assert.AreEqual("1_0", configuration.GetProperty("spec_version").GetString());
        var issuer = configuration.GetProperty("issuer").GetString()!;
        foreach (var endpoint in new[] { "configuration_endpoint", "status_endpoint", "add_subject_endpoint", "remove_subject_endpoint", "verification_endpoint", "jwks_uri" })
        {
            StringAssert.StartsWith(configuration.GetProperty(endpoint).GetString(), issuer + "/ssf/", endpoint);
        }

        CollectionAssert.AreEquivalent(new[] { "urn:ietf:rfc:8935", "urn:ietf:rfc:8936" },
            configuration.GetProperty("delivery_methods_supported").EnumerateArray().Select(m => m.GetString()).ToArray());
        Assert.AreEqual("urn:ietf:rfc:6749", configuration.GetProperty("authorization_schemes")[0].GetProperty("spec_urn").GetString());
        var key = jwks.GetProperty("keys")[0];
        Assert.AreEqual("RSA", key.GetProperty("kty").GetString());
        Assert.IsGreaterThanOrEqualTo(256, Convert.FromBase64String(Pad(key.GetProperty("n").GetString()!)).Length, "a modulus of at least 2048 bits");
        Assert.IsFalse(key.TryGetProperty("d", out _), "no private key is published");
    }

    [TestMethod]
    public async Task APushStreamIsVerifiedAndReceivesSignedSetsForTheSubjectsItKeeps()
    {
        await using var endpoint = await SetReceiver.StartAsync();
        using var receiver = NewReceiver(KavachScopes.SsfManage);
        var (configuration, jwks) = await DiscoverAsync(receiver.Http);
        var issuer = configuration.GetProperty("issuer").GetString()!;
        var stream = await SendAsync(receiver.Http, HttpMethod.Post, PathOf(configuration, "configuration_endpoint"), new
        {
            delivery = new { method = "urn:ietf:rfc:8935", endpoint_url = endpoint.Endpoint.ToString(), authorization_header = "Bearer receiver-secret" },
            events_requested = new[]
            {
                "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
                "https://schemas.openid.net/secevent/caep/event-type/credential-change",
                "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
            },
        }, HttpStatusCode.Created);
        var streamId = stream.GetProperty("stream_id").GetString()!;
        Assert.AreEqual(endpoint.Endpoint.ToString(), stream.GetProperty("delivery").GetProperty("endpoint_url").GetString());
        Assert.IsFalse(stream.GetProperty("delivery").TryGetProperty("authorization_header", out _), "the receiver's secret is never shown back");

        await SendAsync(receiver.Http, HttpMethod.Post, PathOf(configuration, "verification_endpoint"), new { stream_id = streamId, state = "push-state-7" },
            HttpStatusCode.NoContent);
        var verification = await endpoint.NextAsync(Generous);
        Assert.AreEqual("application/secevent+jwt", verification.ContentType);
        Assert.AreEqual("Bearer receiver-secret", verification.Authorization);
        var verified = SetVerifier.Verify(verification.Set, jwks, issuer);
        Assert.AreEqual(receiver.Subject, verified.GetProperty("aud").GetString());
        Assert.AreEqual(streamId, verified.GetProperty("sub_id").GetProperty("id").GetString());
        Assert.AreEqual("push-state-7", SetVerifier.Event(verified).Body.GetProperty("state").GetString());

        var userIssuer = issuer + "/users";
        await SendAsync(receiver.Http, HttpMethod.Post, PathOf(configuration, "add_subject_endpoint"),
            new { stream_id = streamId, subject = new { format = "iss_sub", iss = userIssuer, sub = "user-kept" }, verified = true }, HttpStatusCode.OK);
        await SendAsync(receiver.Http, HttpMethod.Post, PathOf(configuration, "remove_subject_endpoint"),
            new { stream_id = streamId, subject = new { sub = "user-removed", iss = userIssuer, format = "iss_sub" } }, HttpStatusCode.NoContent);

        var emitted = await EmitAsync(
            Draft("auth.signout", receiver.Agent, "user-removed"), // held back: its user was removed
            Draft("auth.signout", receiver.Agent, "user-kept"),
            Draft("cost.recorded", receiver.Agent), // not requested
            Draft("agent.rotated", receiver.Agent),
            Draft("delegation.revoked", receiver.Agent, "user-kept"),
            Draft("agent.revoked", receiver.Agent));

        var received = new List<JsonElement>();
        while (received.Count == 0 || received[^1].GetProperty("txn").GetString() != emitted[^1].Id)
        {
            var next = await endpoint.NextAsync(Generous);
            Assert.AreEqual("Bearer receiver-secret", next.Authorization);
            received.Add(SetVerifier.Verify(next.Set, jwks, issuer));
        }

        CollectionAssert.AreEqual(new[] { emitted[1].Id, emitted[3].Id, emitted[4].Id, emitted[5].Id },
            received.Select(c => c.GetProperty("txn").GetString()).ToArray(), "in order, the removed subject's and the unrequested event held back");
        CollectionAssert.AreEqual(
            new[]
            {
                "https://schemas.openid.net/secevent/caep/event-type/session-revoked", "https://schemas.openid.net/secevent/caep/event-type/credential-change",
                "https://schemas.openid.net/secevent/caep/event-type/session-revoked", "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
            },
            received.Select(c => SetVerifier.Event(c).Uri).ToArray());
        Assert.AreEqual("user-kept", received[0].GetProperty("sub_id").GetProperty("sub").GetString());
        Assert.AreEqual(receiver.Agent, received[1].GetProperty("sub_id").GetProperty("sub").GetString());
        Assert.AreEqual(emitted[5].Sequence, SetVerifier.KavachEvent(received[3]).GetProperty("sequence").GetInt64(),
            "our event rides along with its sequence and hash");
        Assert.AreEqual(64, SetVerifier.KavachEvent(received[3]).GetProperty("hash").GetString()!.Length);
    }

    [TestMethod]
    public async Task AReceiversRefusalIsRecordedAndTheSameSetIsSentAgainUntilAccepted()
    {
        await using var endpoint = await SetReceiver.StartAsync();
        endpoint.Refusal = """{"err":"invalid_key","description":"unknown kid"}""";
        using var receiver = NewReceiver(KavachScopes.SsfManage);
        var stream = await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/stream",
            new { delivery = new { method = "urn:ietf:rfc:8935", endpoint_url = endpoint.Endpoint.ToString() } }, HttpStatusCode.Created);
        var id = Guid.Parse(stream.GetProperty("stream_id").GetString()!);
        var emitted = await EmitAsync(Draft("auth.signin", receiver.Agent, "user-3"));

        var store = s_host.Services.GetRequiredService<Kavach.StreamApi.Delivery.DestinationStore>();
        using var timeout = new CancellationTokenSource(Generous);
        Kavach.StreamApi.Delivery.Destination? failing;
        while ((failing = await store.GetAsync(id, timeout.Token)) is not { LastError: { } } )
        {
            await Task.Delay(50, timeout.Token);
        }

        StringAssert.Contains(failing.LastError, "400");
        StringAssert.Contains(failing.LastError, "invalid_key", "the receiver's RFC 8935 error is the stream's last error");

        endpoint.Refusal = null;
        var accepted = await endpoint.NextAsync(Generous);
        var claims = SetVerifier.Verify(accepted.Set, (await DiscoverAsync(receiver.Http)).Jwks, stream.GetProperty("iss").GetString()!);
        Assert.AreEqual(emitted[0].Id, claims.GetProperty("txn").GetString());
        Assert.AreEqual("https://schemas.openid.net/secevent/caep/event-type/session-established", SetVerifier.Event(claims).Uri);
    }

    [TestMethod]
    public async Task APushUrlTheServiceMayNotReachIsRefused()
    {
        using var receiver = NewReceiver(KavachScopes.SsfManage);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/stream",
            new { delivery = new { method = "urn:ietf:rfc:8935", endpoint_url = "http://169.254.169.254/latest/meta-data" } }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/stream",
            new { delivery = new { method = "urn:ietf:rfc:8935", endpoint_url = "https://user:pw@receiver.example/events" } }, HttpStatusCode.BadRequest);
    }

    [TestMethod]
    public async Task APollStreamIsVerifiedAndRedeliversOnlyWhatWasNotAcknowledged()
    {
        using var receiver = NewReceiver(KavachScopes.SsfManage);
        var (configuration, jwks) = await DiscoverAsync(receiver.Http);
        var issuer = configuration.GetProperty("issuer").GetString()!;
        var stream = await SendAsync(receiver.Http, HttpMethod.Post, PathOf(configuration, "configuration_endpoint"),
            new { description = "poll receiver" }, HttpStatusCode.Created);
        Assert.AreEqual("urn:ietf:rfc:8936", stream.GetProperty("delivery").GetProperty("method").GetString(), "no delivery means poll");
        Assert.AreEqual(issuer, stream.GetProperty("iss").GetString());
        Assert.AreEqual(receiver.Subject, stream.GetProperty("aud").GetString());
        var streamId = stream.GetProperty("stream_id").GetString()!;

        await SendAsync(receiver.Http, HttpMethod.Post, PathOf(configuration, "verification_endpoint"), new { stream_id = streamId, state = "poll-state-1" },
            HttpStatusCode.NoContent);
        var emitted = await EmitAsync(Draft("agent.rotated", receiver.Agent), Draft("anomaly.detected", receiver.Agent, data: """{"score":0.9}"""),
            Draft("auth.signout", receiver.Agent, "user-1"));

        var first = Sets(await PollAsync(receiver, stream, new { returnImmediately = true }), jwks, issuer);
        Assert.HasCount(4, first, string.Join(", ", first.Select(s => s.Jti)));
        var verification = SetVerifier.Event(first[0].Claims);
        Assert.AreEqual("https://schemas.openid.net/secevent/ssf/event-type/verification", verification.Uri, "the verification event comes first");
        Assert.AreEqual("poll-state-1", verification.Body.GetProperty("state").GetString());
        Assert.AreEqual(streamId, first[0].Claims.GetProperty("sub_id").GetProperty("id").GetString());
        CollectionAssert.AreEqual(emitted.Select(e => e.Id).ToArray(), first.Skip(1).Select(s => s.Claims.GetProperty("txn").GetString()).ToArray(),
            "the log's events follow, in order");
        CollectionAssert.AreEqual(
            new[] { "https://schemas.openid.net/secevent/caep/event-type/credential-change", "https://schemas.openid.net/secevent/caep/event-type/risk-level-change",
                "https://schemas.openid.net/secevent/caep/event-type/session-revoked" },
            first.Skip(1).Select(s => SetVerifier.Event(s.Claims).Uri).ToArray());
        Assert.AreEqual(emitted[0].Sequence, SetVerifier.KavachEvent(first[1].Claims).GetProperty("sequence").GetInt64());

        // Acknowledge the verification, the first and the third: only the second comes again, as the same SET.
        var second = Sets(await PollAsync(receiver, stream, new { ack = new[] { first[0].Jti, first[1].Jti, first[3].Jti }, returnImmediately = true }), jwks, issuer);
        Assert.HasCount(1, second);
        Assert.AreEqual(first[2].Jti, second[0].Jti);
        Assert.AreEqual(first[2].Set, second[0].Set, "a redelivery is the same SET");

        var none = await PollAsync(receiver, stream, new { ack = new[] { second[0].Jti }, returnImmediately = true });
        Assert.AreEqual(0, none.GetProperty("sets").EnumerateObject().Count());
        Assert.IsFalse(none.GetProperty("moreAvailable").GetBoolean());

        // A long poll returns as soon as an event for the stream is committed.
        var waiting = PollAsync(receiver, stream, new { maxEvents = 10 });
        var later = await EmitAsync(Draft("agent.revoked", receiver.Agent));
        var woken = Sets(await waiting.WaitAsync(Generous), jwks, issuer);
        Assert.AreEqual(later[0].Id, woken.Single().Claims.GetProperty("txn").GetString());
        Assert.AreEqual("https://schemas.openid.net/secevent/risc/event-type/account-disabled", SetVerifier.Event(woken[0].Claims).Uri);
    }

    [TestMethod]
    public async Task APausedStreamHoldsEventsInOrderAndADisabledOneDropsThem()
    {
        using var receiver = NewReceiver(KavachScopes.SsfManage);
        var (configuration, jwks) = await DiscoverAsync(receiver.Http);
        var issuer = configuration.GetProperty("issuer").GetString()!;
        var stream = await SendAsync(receiver.Http, HttpMethod.Post, PathOf(configuration, "configuration_endpoint"),
            new { delivery = new { method = "urn:ietf:rfc:8936" } }, HttpStatusCode.Created);
        var streamId = stream.GetProperty("stream_id").GetString()!;
        var status = PathOf(configuration, "status_endpoint");

        var paused = await SendAsync(receiver.Http, HttpMethod.Post, status, new { stream_id = streamId, status = "paused", reason = "maintenance" }, HttpStatusCode.OK);
        Assert.AreEqual("paused", paused.GetProperty("status").GetString());
        var held = await EmitAsync(Draft("audit", receiver.Agent), Draft("budget.exceeded", receiver.Agent), Draft("cost.recorded", receiver.Agent));
        Assert.AreEqual(0, (await PollAsync(receiver, stream, new { returnImmediately = true })).GetProperty("sets").EnumerateObject().Count(),
            "a paused stream sends nothing");
        var read = await SendAsync(receiver.Http, HttpMethod.Get, $"{status}?stream_id={streamId}", null, HttpStatusCode.OK);
        Assert.AreEqual("paused", read.GetProperty("status").GetString());
        Assert.AreEqual("maintenance", read.GetProperty("reason").GetString());

        await SendAsync(receiver.Http, HttpMethod.Post, status, new { stream_id = streamId, status = "enabled" }, HttpStatusCode.OK);
        var resumed = Sets(await PollAsync(receiver, stream, new { returnImmediately = true }), jwks, issuer);
        CollectionAssert.AreEqual(held.Select(e => e.Id).ToArray(), resumed.Select(s => s.Claims.GetProperty("txn").GetString()).ToArray(),
            "what was held comes, in order, once enabled");
        await PollAsync(receiver, stream, new { ack = resumed.Select(s => s.Jti).ToArray(), returnImmediately = true });

        await SendAsync(receiver.Http, HttpMethod.Post, status, new { stream_id = streamId, status = "disabled" }, HttpStatusCode.OK);
        await EmitAsync(Draft("audit", receiver.Agent));
        await SendAsync(receiver.Http, HttpMethod.Post, status, new { stream_id = streamId, status = "enabled" }, HttpStatusCode.OK);
        var after = await EmitAsync(Draft("audit", receiver.Agent));
        var delivered = Sets(await PollAsync(receiver, stream, new { returnImmediately = true }), jwks, issuer);
        Assert.AreEqual(after[0].Id, delivered.Single().Claims.GetProperty("txn").GetString(), "what came while disabled was dropped");
    }

    [TestMethod]
    public async Task AServiceClientGetsAnSsfTokenByClientCredentialsAndManagesItsStreams()
    {
        using var http = s_host.CreateClient();
        using var tokenAnswer = await http.PostAsync(KavachRoutes.Tokens, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = ReceiverClientId,
            ["client_secret"] = ReceiverClientSecret,
            ["scope"] = "ssf.manage",
        }));
        var issued = JsonDocument.Parse(await tokenAnswer.Content.ReadAsStringAsync()).RootElement;
        Assert.AreEqual(HttpStatusCode.OK, tokenAnswer.StatusCode, issued.ToString());
        Assert.AreEqual("ssf.manage", issued.GetProperty("scope").GetString());

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.GetProperty("access_token").GetString());
        var stream = await SendAsync(http, HttpMethod.Post, "/ssf/stream", new { description = "client credentials" }, HttpStatusCode.Created);
        Assert.AreEqual(ReceiverClientId, stream.GetProperty("aud").GetString(), "the audience is the receiver's client id");
        await SendAsync(http, HttpMethod.Delete, $"/ssf/stream?stream_id={stream.GetProperty("stream_id").GetString()}", null, HttpStatusCode.NoContent);
    }

    [TestMethod]
    public async Task AReadOnlyTokenReadsButCannotCreateOrChangeStreams()
    {
        using var manager = NewReceiver(KavachScopes.SsfManage);
        var stream = await SendAsync(manager.Http, HttpMethod.Post, "/ssf/stream", new { }, HttpStatusCode.Created);
        var streamId = stream.GetProperty("stream_id").GetString()!;

        var readToken = KavachTokens.Issue(KavachSystem.SigningKey, manager.Subject, [KavachScopes.SsfRead], TimeSpan.FromHours(1));
        using var reader = s_host.CreateClient();
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", readToken);
        await SendAsync(reader, HttpMethod.Post, "/ssf/stream", new { }, HttpStatusCode.Forbidden);
        await SendAsync(reader, HttpMethod.Post, "/ssf/status", new { stream_id = streamId, status = "paused" }, HttpStatusCode.Forbidden);
        await SendAsync(reader, HttpMethod.Post, "/ssf/verify", new { stream_id = streamId }, HttpStatusCode.Forbidden);
        await SendAsync(reader, HttpMethod.Delete, $"/ssf/stream?stream_id={streamId}", null, HttpStatusCode.Forbidden);
        Assert.AreEqual(streamId, (await SendAsync(reader, HttpMethod.Get, $"/ssf/stream?stream_id={streamId}", null, HttpStatusCode.OK))
            .GetProperty("stream_id").GetString());
        await SendAsync(reader, HttpMethod.Get, $"/ssf/status?stream_id={streamId}", null, HttpStatusCode.OK);

        using var anonymous = s_host.CreateClient();
        await SendAsync(anonymous, HttpMethod.Get, "/ssf/stream", null, HttpStatusCode.Unauthorized);
        await SendAsync(anonymous, HttpMethod.Get, KavachRoutes.SsfConfiguration, null, HttpStatusCode.OK);
    }

    [TestMethod]
    public async Task AReceiverCannotSeeOrTouchAnothersStream()
    {
        using var a = NewReceiver(KavachScopes.SsfManage);
        using var b = NewReceiver(KavachScopes.SsfManage);
        var bStream = await SendAsync(b.Http, HttpMethod.Post, "/ssf/stream", new { description = "b's" }, HttpStatusCode.Created);
        var id = bStream.GetProperty("stream_id").GetString()!;

        await SendAsync(a.Http, HttpMethod.Get, $"/ssf/stream?stream_id={id}", null, HttpStatusCode.NotFound);
        await SendAsync(a.Http, HttpMethod.Get, $"/ssf/status?stream_id={id}", null, HttpStatusCode.NotFound);
        await SendAsync(a.Http, HttpMethod.Post, "/ssf/status", new { stream_id = id, status = "disabled" }, HttpStatusCode.NotFound);
        await SendAsync(a.Http, HttpMethod.Patch, "/ssf/stream", new { stream_id = id, description = "mine now" }, HttpStatusCode.NotFound);
        await SendAsync(a.Http, HttpMethod.Post, "/ssf/verify", new { stream_id = id }, HttpStatusCode.NotFound);
        await SendAsync(a.Http, HttpMethod.Post, "/ssf/subjects:remove",
            new { stream_id = id, subject = new { format = "email", email = "x@example.com" } }, HttpStatusCode.NotFound);
        await SendAsync(a.Http, HttpMethod.Post, $"/ssf/poll/{id}", new { returnImmediately = true }, HttpStatusCode.NotFound);
        await SendAsync(a.Http, HttpMethod.Delete, $"/ssf/stream?stream_id={id}", null, HttpStatusCode.NotFound);
        Assert.AreEqual(0, (await SendAsync(a.Http, HttpMethod.Get, "/ssf/stream", null, HttpStatusCode.OK)).GetArrayLength());

        var mine = await SendAsync(b.Http, HttpMethod.Get, "/ssf/stream", null, HttpStatusCode.OK);
        Assert.AreEqual(id, mine.EnumerateArray().Single().GetProperty("stream_id").GetString());
        Assert.AreEqual("b's", mine[0].GetProperty("description").GetString(), "nothing A sent changed it");
        await SendAsync(b.Http, HttpMethod.Delete, $"/ssf/stream?stream_id={id}", null, HttpStatusCode.NoContent);
        await SendAsync(b.Http, HttpMethod.Get, $"/ssf/stream?stream_id={id}", null, HttpStatusCode.NotFound);
    }

    [TestMethod]
    public async Task UpdatesFollowTheSpecificationAndBadInputIsA400()
    {
        using var receiver = NewReceiver(KavachScopes.SsfManage);
        var stream = await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/stream", new
        {
            events_requested = new[] { "https://schemas.openid.net/secevent/caep/event-type/session-revoked", "urn:example:unknown" },
            description = "first",
        }, HttpStatusCode.Created);
        var id = stream.GetProperty("stream_id").GetString()!;
        CollectionAssert.AreEqual(new[] { "https://schemas.openid.net/secevent/caep/event-type/session-revoked" },
            stream.GetProperty("events_delivered").EnumerateArray().Select(e => e.GetString()).ToArray(), "unknown URIs are ignored");

        var patched = await SendAsync(receiver.Http, HttpMethod.Patch, "/ssf/stream", new { stream_id = id, description = "second" }, HttpStatusCode.OK);
        Assert.AreEqual("second", patched.GetProperty("description").GetString());
        Assert.AreEqual(1, patched.GetProperty("events_delivered").GetArrayLength(), "PATCH leaves what it does not name");

        var replaced = await SendAsync(receiver.Http, HttpMethod.Put, "/ssf/stream",
            new { stream_id = id, delivery = new { method = "urn:ietf:rfc:8936" } }, HttpStatusCode.OK);
        Assert.IsFalse(replaced.TryGetProperty("description", out _), "PUT removes what it leaves out");
        Assert.IsFalse(replaced.TryGetProperty("events_requested", out _));
        Assert.AreEqual(11, replaced.GetProperty("events_delivered").GetArrayLength(), "no request: every supported event");

        await SendAsync(receiver.Http, HttpMethod.Patch, "/ssf/stream", new { stream_id = id, aud = "someone-else" }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/stream", new { delivery = new { method = "urn:example:carrier-pigeon" } }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/stream", new { delivery = new { method = "urn:ietf:rfc:8935" } }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/stream", "{not json", HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/status", new { stream_id = id, status = "asleep" }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/verify", new { }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, "/ssf/subjects:add", new { stream_id = id, subject = new { email = "no-format" } }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Post, $"/ssf/poll/{id}", new { maxEvents = -1 }, HttpStatusCode.BadRequest);
        await SendAsync(receiver.Http, HttpMethod.Get, "/ssf/stream?stream_id=not-a-stream", null, HttpStatusCode.NotFound);
        await SendAsync(receiver.Http, HttpMethod.Delete, "/ssf/stream", null, HttpStatusCode.BadRequest);
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + (s.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
    }
}
