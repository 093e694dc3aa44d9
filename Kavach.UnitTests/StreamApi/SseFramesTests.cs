using Kavach.Contracts;
using System.Net.ServerSentEvents;
using System.Text;
using Kavach.StreamApi.Events;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class SseFramesTests
{
    [TestMethod]
    public async Task EventFrameRoundTripsThroughTheSseParser()
    {
        var frame = SseFrames.Event(new StreamPosition(StreamPosition.FirstEpoch, 42), "agent.created", """{"id":"a","sequence":42}""");

        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(new MemoryStream(frame)).EnumerateAsync())
        {
            items.Add(item);
        }

        Assert.HasCount(1, items);
        Assert.AreEqual("agent.created", items[0].EventType);
        Assert.AreEqual("42", items[0].EventId);
        Assert.AreEqual("""{"id":"a","sequence":42}""", items[0].Data);
    }

    [TestMethod]
    public void ALaterEpochIsPartOfTheEventId()
    {
        var frame = Encoding.UTF8.GetString(SseFrames.Event(new StreamPosition(3, 42), "audit", "{}"));
        StringAssert.Contains(frame, "id: 3:42\n");
    }

    [TestMethod]
    public void HeartbeatIsACommentAndRetryIsMilliseconds()
    {
        Assert.AreEqual(": heartbeat\n\n", Encoding.UTF8.GetString(SseFrames.Heartbeat.Span));
        Assert.AreEqual("retry: 3000\n\n", Encoding.UTF8.GetString(SseFrames.Retry(TimeSpan.FromSeconds(3))));
    }
}
