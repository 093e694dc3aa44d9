using System.Text.Json;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;

namespace Kavach.UnitTests.StreamApi.Delivery;

[TestClass]
public sealed class EnvelopeEventsTests
{
    private static readonly DateTimeOffset Timestamp = DateTimeOffset.Parse("2026-03-01T12:34:56.789+00:00", System.Globalization.CultureInfo.InvariantCulture);

    private static StoredEvent Event(byte[]? hash) => new(
        42, "evt-1", "agent.created", "agent-7", "user \"quoted\" ,\"sequence\":1", Timestamp, Timestamp.AddSeconds(1),
        StoredEvent.BodyOf("evt-1", "agent.created", Timestamp, JsonDocument.Parse("""{"name":"a\nb","sequence":3}""").RootElement, "agent-7", "user \"quoted\" ,\"sequence\":1"),
        hash);

    [TestMethod]
    public void ABufferedEventComesBackAsTheEventItWasWithItsHash()
    {
        var stored = Event(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());

        var back = EnvelopeEvents.ToStored(EventEnvelope.From(stored, epoch: 3));

        Assert.IsNotNull(back);
        Assert.AreEqual(stored.Json(), back.Json());
        Assert.AreEqual(stored.Body, back.Body);
        CollectionAssert.AreEqual(stored.Hash, back.Hash);
        Assert.AreEqual(stored.Timestamp, back.Timestamp);
        Assert.AreEqual(stored.CommittedAt, back.CommittedAt);
        Assert.AreEqual(stored.UserId, back.UserId);
    }

    [TestMethod]
    public void AnEventFromBeforeTheChainComesBackWithoutAHash()
    {
        var stored = Event(hash: null);

        var back = EnvelopeEvents.ToStored(EventEnvelope.From(stored, epoch: 1));

        Assert.IsNotNull(back);
        Assert.IsNull(back.Hash);
        Assert.AreEqual(stored.Json(), back.Json());
    }

    [TestMethod]
    public void EachEnvelopeIsConvertedOnce()
    {
        var envelope = EventEnvelope.From(Event(hash: null), epoch: 1);

        Assert.AreSame(EnvelopeEvents.ToStored(envelope), EnvelopeEvents.ToStored(envelope));
    }
}
