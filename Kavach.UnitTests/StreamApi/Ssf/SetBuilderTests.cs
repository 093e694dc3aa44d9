using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Ssf;

namespace Kavach.UnitTests.StreamApi.Ssf;

[TestClass]
public sealed class SetBuilderTests
{
    private static readonly SsfSigningKey Key = SsfSigningKey.Generate(DateTimeOffset.UnixEpoch);

    private static JsonElement Jwks(params SsfSigningKey[] keys) =>
        JsonSerializer.SerializeToElement(new { keys = keys.Select(k => k.PublicJwk()).ToArray() });

    [TestMethod]
    public void AGeneratedKeyHasAtLeast2048BitsAndItsThumbprintAsKid()
    {
        Assert.IsGreaterThanOrEqualTo(SsfSigningKey.MinimumBits, Key.Rsa.KeySize);
        Assert.AreEqual(2048, SsfSigningKey.MinimumBits);
        Assert.AreEqual(SsfSigningKey.Thumbprint(Key.Rsa), Key.Kid);
        Assert.AreEqual(Key.Kid, Key.PublicJwk()["kid"]);
        Assert.IsFalse(Key.PublicJwk().ContainsKey("d"), "the JWKS never holds the private exponent");
    }

    [TestMethod]
    public void ASetVerifiesWithThePublishedKeyAndHasTheSsfProfilesClaims()
    {
        var stream = SsfTestStreams.Stream();
        var stored = SsfTestStreams.Event(41, KavachEventTypes.AgentRevoked, data: """{"reason":"key leaked"}""");

        var set = SetBuilder.Sign(SetBuilder.Claims(stream, stored), Key);
        var verified = IndependentSetVerifier.Verify(set, Jwks(SsfSigningKey.Generate(DateTimeOffset.UnixEpoch), Key));

        var claims = verified.Claims;
        Assert.AreEqual(SsfTestStreams.Issuer, claims.GetProperty("iss").GetString());
        Assert.AreEqual("receiver-a", claims.GetProperty("aud").GetString());
        Assert.AreEqual(stream.Jti(41), claims.GetProperty("jti").GetString());
        Assert.AreEqual("evt-41", claims.GetProperty("txn").GetString());
        Assert.AreEqual(stored.CommittedAt.ToUnixTimeSeconds(), claims.GetProperty("iat").GetInt64());
        Assert.IsFalse(claims.TryGetProperty("sub", out _), "SSF §4.1.2: no sub");
        Assert.IsFalse(claims.TryGetProperty("exp", out _), "SSF §4.1.7: no exp");

        var subject = claims.GetProperty("sub_id");
        Assert.AreEqual("iss_sub", subject.GetProperty("format").GetString());
        Assert.AreEqual(SsfTestStreams.Issuer + "/agents", subject.GetProperty("iss").GetString());
        Assert.AreEqual("agent-7", subject.GetProperty("sub").GetString());

        var events = claims.GetProperty("events").EnumerateObject().ToList();
        Assert.HasCount(1, events, "one event per SET (CAEP interoperability profile)");
        Assert.AreEqual(CaepRiscMapping.AccountDisabled, events[0].Name);
        var body = events[0].Value;
        Assert.AreEqual("key leaked", body.GetProperty("reason_admin").GetProperty("en").GetString());
        Assert.AreEqual(stored.Timestamp.ToUnixTimeSeconds(), body.GetProperty("event_timestamp").GetInt64());
        Assert.AreEqual(stored.Json(), body.GetProperty(SetBuilder.KavachEventMember).GetRawText(),
            "our event exactly as the stream serves it, hash included, so the receiver can follow the chain");
    }

    [TestMethod]
    public void TheSameEventMakesTheSameSetEveryTime()
    {
        var stream = SsfTestStreams.Stream();
        var stored = SsfTestStreams.Event(7, KavachEventTypes.AuthSignOut);
        Assert.AreEqual(SetBuilder.Sign(SetBuilder.Claims(stream, stored), Key), SetBuilder.Sign(SetBuilder.Claims(stream, stored), Key),
            "a redelivery is an exact duplicate: same jti, same bytes");
    }

    [TestMethod]
    public void ATamperedSetDoesNotVerify()
    {
        var set = SetBuilder.Sign(SetBuilder.Claims(SsfTestStreams.Stream(), SsfTestStreams.Event(3, KavachEventTypes.Audit)), Key);
        var parts = set.Split('.');
        var claims = System.Text.Encoding.UTF8.GetString(IndependentSetVerifier.FromBase64Url(parts[1])).Replace("evt-3", "evt-4");
        var forged = parts[0] + "." + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(claims)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + parts[2];
        Assert.ThrowsExactly<AssertFailedException>(() => IndependentSetVerifier.Verify(forged, Jwks(Key)));
    }

    [TestMethod]
    public void CaepEventsCarryTheirRequiredMembers()
    {
        var stream = SsfTestStreams.Stream();
        JsonElement EventOf(string type, string data = "{}", string? agent = "agent-7", string? user = "alice") =>
            IndependentSetVerifier.Verify(SetBuilder.Sign(SetBuilder.Claims(stream, SsfTestStreams.Event(1, type, agent, user, data)), Key), Jwks(Key))
                .Claims.GetProperty("events").EnumerateObject().Single().Value;

        var rotated = EventOf(KavachEventTypes.AgentRotated);
        Assert.AreEqual("app", rotated.GetProperty("credential_type").GetString());
        Assert.AreEqual("update", rotated.GetProperty("change_type").GetString());
        Assert.IsGreaterThan(0, rotated.GetProperty("reason_admin").GetProperty("en").GetString()!.Length);

        var signedOut = EventOf(KavachEventTypes.AuthSignOut);
        Assert.IsGreaterThan(0, signedOut.GetProperty("reason_admin").GetProperty("en").GetString()!.Length, "session-revoked needs a reason_admin");

        var risk = EventOf(KavachEventTypes.AnomalyDetected, """{"score":0.5}""");
        Assert.AreEqual("MEDIUM", risk.GetProperty("current_level").GetString());
        Assert.AreEqual("AGENT", risk.GetProperty("principal").GetString());
        Assert.AreEqual("LOW", EventOf(KavachEventTypes.AnomalyDetected, """{"riskLevel":"low","score":0.99}""").GetProperty("current_level").GetString());
        Assert.AreEqual("HIGH", EventOf(KavachEventTypes.AnomalyDetected).GetProperty("current_level").GetString());
    }

    [TestMethod]
    public void TheSubjectIsTheMappingsPrincipalThenTheOtherPartyThenTheEvent()
    {
        var stream = SsfTestStreams.Stream();
        JsonElement SubjectOf(string type, string? agent, string? user) =>
            JsonDocument.Parse(SetBuilder.Claims(stream, SsfTestStreams.Event(1, type, agent, user))).RootElement.GetProperty("sub_id").Clone();

        Assert.AreEqual("alice", SubjectOf(KavachEventTypes.AuthSignOut, "agent-7", "alice").GetProperty("sub").GetString());
        Assert.AreEqual(SsfTestStreams.Issuer + "/users", SubjectOf(KavachEventTypes.AuthSignOut, "agent-7", "alice").GetProperty("iss").GetString());
        Assert.AreEqual("agent-7", SubjectOf(KavachEventTypes.AuthSignOut, "agent-7", null).GetProperty("sub").GetString());
        Assert.AreEqual("agent-7", SubjectOf(KavachEventTypes.AgentRevoked, "agent-7", "alice").GetProperty("sub").GetString());
        var none = SubjectOf(KavachEventTypes.Audit, null, null);
        Assert.AreEqual("opaque", none.GetProperty("format").GetString());
        Assert.AreEqual("evt-1", none.GetProperty("id").GetString());
    }

    [TestMethod]
    public void AVerificationEventNamesTheStreamAndEchoesTheState()
    {
        var stream = SsfTestStreams.Stream();
        var claims = IndependentSetVerifier.Verify(
            SetBuilder.Sign(SetBuilder.VerificationClaims(stream, stream.NewMessageJti("verify"), "s-42", DateTimeOffset.UnixEpoch), Key), Jwks(Key)).Claims;
        Assert.AreEqual("opaque", claims.GetProperty("sub_id").GetProperty("format").GetString());
        Assert.AreEqual(stream.StreamId, claims.GetProperty("sub_id").GetProperty("id").GetString());
        Assert.AreEqual("s-42", claims.GetProperty("events").GetProperty(CaepRiscMapping.Verification).GetProperty("state").GetString());
        Assert.IsFalse(stream.TryParseJti(claims.GetProperty("jti").GetString()!, out _), "an outbox jti never names a log sequence");
    }
}
