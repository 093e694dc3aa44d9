using System.Text.Json;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class LiveBufferTests
{
    private static EventEnvelope Envelope(long sequence, long epoch = 1, int dataBytes = 10)
    {
        var id = $"id-{sequence}";
        var data = JsonDocument.Parse($$"""{"pad":"{{new string('x', dataBytes)}}"}""").RootElement;
        var body = StoredEvent.BodyOf(id, "audit", DateTimeOffset.UnixEpoch, data, null, null);
        return EventEnvelope.From(new StoredEvent(sequence, id, "audit", null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, body), epoch);
    }

    [TestMethod]
    public void HoldsTheMostRecentEventsWithinTheEventLimit()
    {
        var buffer = new LiveBuffer(1, startsAfter: 100, maxEvents: 1024, maxBytes: long.MaxValue);
        Assert.IsTrue(buffer.Holds(100), "an empty buffer holds everything after its start");
        Assert.IsFalse(buffer.Holds(99));

        for (var sequence = 101L; sequence <= 100 + 3000; sequence++)
        {
            buffer.Append(Envelope(sequence));
        }

        Assert.AreEqual(3100, buffer.Head);
        Assert.AreEqual(1024, buffer.Count);
        Assert.AreEqual(3100 - 1024 + 1, buffer.Tail);
        Assert.IsNull(buffer.TryGet(buffer.Tail - 1));
        Assert.AreEqual("id-3000", buffer.TryGet(3000)!.Id);
        Assert.IsTrue(buffer.Holds(buffer.Tail - 1));
        Assert.IsFalse(buffer.Holds(buffer.Tail - 2));
    }

    [TestMethod]
    public void EvictsByBytesAndCountsTheBytesBehindAPosition()
    {
        // Two-digit sequences throughout, so every frame has the same length.
        var frame = Envelope(10).Frame.Length;
        var buffer = new LiveBuffer(1, startsAfter: 9, maxEvents: 1024, maxBytes: frame * 10);
        for (var sequence = 10L; sequence <= 34; sequence++)
        {
            buffer.Append(Envelope(sequence));
        }

        Assert.AreEqual(10, buffer.Count);
        Assert.AreEqual(frame * 10L, buffer.Bytes);
        Assert.AreEqual(frame * 3L, buffer.BytesAfter(31));
        Assert.AreEqual(frame * 10L, buffer.BytesAfter(24), "from just before the tail");
        Assert.IsNull(buffer.BytesAfter(23), "part of the range is gone");
        Assert.AreEqual(0L, buffer.BytesAfter(34));
    }

    [TestMethod]
    public void EvictsWhatRetentionRemoved()
    {
        var buffer = new LiveBuffer(1, startsAfter: 0, maxEvents: 1024, maxBytes: long.MaxValue);
        for (var sequence = 1L; sequence <= 10; sequence++)
        {
            buffer.Append(Envelope(sequence));
        }

        buffer.EvictBefore(8);
        Assert.AreEqual(8, buffer.Tail);
        Assert.IsFalse(buffer.Holds(6));
        buffer.EvictBefore(11);
        Assert.AreEqual(0, buffer.Count);
        Assert.IsTrue(buffer.Holds(10), "empty, it still marks where the stream is");
    }

    [TestMethod]
    public void RefusesAnythingButTheNextSequenceOfItsEpoch()
    {
        var buffer = new LiveBuffer(2, startsAfter: 10, maxEvents: 1024, maxBytes: long.MaxValue);
        Assert.ThrowsExactly<InvalidOperationException>(() => buffer.Append(Envelope(12, epoch: 2)));
        Assert.ThrowsExactly<InvalidOperationException>(() => buffer.Append(Envelope(11, epoch: 1)));
        buffer.Append(Envelope(11, epoch: 2));
        Assert.AreEqual("2:11", buffer.TryGet(11)!.Position.ToString());
    }

    [TestMethod]
    public async Task ReadersRacingTheWriterSeeEachSequenceOnceInOrderOrAGapTheyCanDetect()
    {
        var buffer = new LiveBuffer(1, startsAfter: 0, maxEvents: 1024, maxBytes: long.MaxValue);
        const long total = 200_000;
        var writer = Task.Run(() =>
        {
            for (var sequence = 1L; sequence <= total; sequence++)
            {
                buffer.Append(Envelope(sequence));
            }
        });

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            long position = 0, fellBehind = 0;
            while (position < total)
            {
                if (!buffer.Holds(position))
                {
                    fellBehind++;
                    position = buffer.Tail - 1; // what a stream would fetch from PostgreSQL instead
                    continue;
                }

                var next = buffer.TryGet(position + 1);
                if (next is null)
                {
                    continue;
                }

                Assert.AreEqual(position + 1, next.Sequence);
                Assert.AreEqual($"id-{position + 1}", next.Id);
                position = next.Sequence;
            }

            return fellBehind;
        })).ToList();

        await Task.WhenAll(readers.Append(writer)).WaitAsync(TimeSpan.FromMinutes(1));
    }
}
