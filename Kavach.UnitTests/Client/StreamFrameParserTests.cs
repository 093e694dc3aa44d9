using System.Text;
using Kavach.Client;
using Kavach.Contracts;

namespace Kavach.UnitTests.Client;

[TestClass]
public sealed class StreamFrameParserTests
{
    private static StreamItem Parse(string name, string json) => StreamFrameParser.Parse(name, Encoding.UTF8.GetBytes(json));

    [TestMethod]
    public void EachOfTheTwelveTypesBecomesItsOwnRecordOverTheEnvelope()
    {
        var kinds = KavachEventTypes.All.Select(type =>
            Parse(type, $$"""{"id":"e1","type":"{{type}}","timestamp":"2026-11-28T09:00:00Z","data":{"score":0.97},"agentId":"agent-7","sequence":12}"""))
            .ToList();

        Assert.AreEqual(12, kinds.Select(k => k.GetType()).Distinct().Count(), "twelve distinct records");
        Assert.IsTrue(kinds.All(k => k is KavachEvent { Sequence: 12, AgentId: "agent-7", UserId: null } && k.GetType() != typeof(KavachEvent)));
        var anomaly = (AnomalyDetected)kinds[KavachEventTypes.All.ToList().IndexOf(KavachEventTypes.AnomalyDetected)];
        Assert.AreEqual(0.97, anomaly.Data.GetProperty("score").GetDouble());
        Assert.AreEqual(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero), anomaly.Timestamp);
    }

    [TestMethod]
    public void AnEventOfATypeThisVersionDoesNotKnowIsStillAnEventItCanResumeAfter()
    {
        var item = Parse("policy.changed", """{"id":"e2","type":"policy.changed","timestamp":"2026-11-28T09:00:00Z","data":{},"sequence":13}""");

        Assert.AreEqual(typeof(KavachEvent), item.GetType());
        Assert.IsFalse(((KavachEvent)item).IsKnownType);
        Assert.AreEqual(13, ((KavachEvent)item).Sequence);
    }

    [TestMethod]
    public void SignalsAreTyped()
    {
        Assert.AreEqual(new Connected("c1", "me", 2, new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero)),
            Parse("connected", """{"clientId":"c1","subscriberId":"me","epoch":2,"timestamp":"2026-11-28T09:00:00Z"}"""));
        Assert.AreEqual(new Resync("epoch-changed", null, 2, 5120), Parse("resync", """{"reason":"epoch-changed","epoch":2,"resumeAfter":5120}"""));
        Assert.AreEqual(new Resync("cursor-expired", 5120), Parse("resync", """{"reason":"cursor-expired","oldestSequence":5120}"""));
        Assert.AreEqual(new StreamError("TOKEN_EXPIRED", "The token expired"), Parse("error", """{"code":"TOKEN_EXPIRED","message":"The token expired"}"""));
    }

    [TestMethod]
    public void CheckpointsAndTheChainHashAreTyped()
    {
        var checkpoint = Parse("checkpoint", """{"streamId":"6fe49f8a-73d5-4d5e-b891-1416224500ee","epoch":2,"sequence":5120,"hash":"ab12","signedAt":"2026-12-02T07:40:12.123456Z","keyId":"k1","algorithm":"ES256","signature":"c2ln"}""");
        Assert.AreEqual(new Checkpoint(Guid.Parse("6fe49f8a-73d5-4d5e-b891-1416224500ee"), 2, 5120, "ab12", "2026-12-02T07:40:12.123456Z", "k1", "ES256", "c2ln"), checkpoint);

        var e = (KavachEvent)Parse("audit", """{"id":"e1","type":"audit","timestamp":"2026-11-28T09:00:00Z","data":{},"sequence":12,"hash":"5f0c"}""");
        Assert.IsInstanceOfType<AuditEvent>(e);
        Assert.AreEqual("5f0c", e.Hash);
    }

    [TestMethod]
    public void AFrameItCannotReadIsAnUnknownSignalNotAnException()
    {
        Assert.AreEqual(new UnknownSignal("digest", """{"at":"2:5120"}"""), Parse("digest", """{"at":"2:5120"}"""));
        Assert.AreEqual(new UnknownSignal("audit", "{not json"), Parse("audit", "{not json"));
        Assert.AreEqual(new UnknownSignal("connected", "[]"), Parse("connected", "[]"));
    }

    [TestMethod]
    public void ASequenceInsideTheEventsOwnDataDoesNotMakeAnEvent()
    {
        var json = """{"id":"e3","type":"audit","timestamp":"2026-11-28T09:00:00Z","data":{"sequence":5}}""";

        Assert.IsInstanceOfType<UnknownSignal>(Parse("audit", json));
    }
}
