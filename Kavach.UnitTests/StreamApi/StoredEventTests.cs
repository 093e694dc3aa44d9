using Kavach.Contracts;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Kavach.StreamApi.Events;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class StoredEventTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [TestMethod]
    [DataRow(null, null)]
    [DataRow("agent-7", null)]
    [DataRow("agent-7", "alice")]
    public void TheServedJsonIsWhatSerializingTheEventWouldWrite(string? agentId, string? userId)
    {
        var data = JsonDocument.Parse("""{"score":0.97,"where":"Lisbon → Ōsaka","nested":{"n":[1,2e3,-0.5]},"quote":"\"<tag>\""}""").RootElement;
        var timestamp = new DateTimeOffset(2026, 11, 28, 7, 55, 6, 572, TimeSpan.Zero).AddTicks(3610);
        var body = StoredEvent.BodyOf("id-1", "anomaly.detected", timestamp, data, agentId, userId);
        var stored = new StoredEvent(1221, "id-1", "anomaly.detected", agentId, userId, timestamp, timestamp, body);

        var expected = JsonSerializer.Serialize(new StreamEvent("id-1", "anomaly.detected", timestamp, data, agentId, userId, 1221), Web);
        Assert.AreEqual(expected, stored.Json());
        Assert.DoesNotContain('\n', body, "a body is one SSE data line");
    }

    [TestMethod]
    public async Task TheFrameBuiltByHandIsTheFormattersFrameAndParsesBack()
    {
        var data = JsonDocument.Parse("""{"text":"line one\nline two"}""").RootElement;
        var body = StoredEvent.BodyOf("id-2", "audit", DateTimeOffset.UnixEpoch, data, "agent-1", null);
        var stored = new StoredEvent(42, "id-2", "audit", "agent-1", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, body);
        var position = new StreamPosition(3, 42);

        var byHand = SseFrames.Event(position, stored);
        CollectionAssert.AreEqual(SseFrames.Event(position, "audit", stored.Json()), byHand);

        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(new MemoryStream(byHand)).EnumerateAsync())
        {
            items.Add(item);
        }

        Assert.HasCount(1, items);
        Assert.AreEqual("3:42", items[0].EventId);
        Assert.AreEqual("line one\nline two", JsonDocument.Parse(items[0].Data).RootElement.GetProperty("data").GetProperty("text").GetString());
        Assert.AreEqual(42, JsonDocument.Parse(items[0].Data).RootElement.GetProperty("sequence").GetInt64());
        Assert.AreEqual(Encoding.UTF8.GetByteCount(stored.Json()) + "event: audit\ndata: \nid: 3:42\n\n".Length, byHand.Length);
    }

    [TestMethod]
    public void TheModuleApiGetsTheEventBack()
    {
        var data = JsonDocument.Parse("""{"k":[true,null,{"x":1}]}""").RootElement;
        var body = StoredEvent.BodyOf("id-3", "audit", DateTimeOffset.UnixEpoch, data, null, "bob");
        var parsed = new StoredEvent(7, "id-3", "audit", null, "bob", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, body).ToStreamEvent();

        Assert.AreEqual(7, parsed.Sequence);
        Assert.AreEqual("bob", parsed.UserId);
        Assert.AreEqual(data.GetRawText(), parsed.Data.GetRawText());
    }
}
