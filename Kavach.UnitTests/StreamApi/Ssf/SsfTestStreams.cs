using System.Text.Json;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Ssf;

namespace Kavach.UnitTests.StreamApi.Ssf;

/// <summary>SSF streams and events as the store would read them, without a database.</summary>
internal static class SsfTestStreams
{
    public const string Issuer = "https://transmitter.example";

    public static SsfStream Stream(IReadOnlyList<string>? requested = null, IReadOnlyList<JsonElement>? removed = null, ReadGrant? grant = null,
        string method = SsfStreamSettings.PollMethod)
    {
        var settings = new SsfStreamSettings(Issuer, "receiver-a", method, requested, null, removed);
        var now = DateTimeOffset.UnixEpoch;
        var destination = new Destination(Guid.Parse("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"), DestinationKind.Ssf,
            method == SsfStreamSettings.PushMethod ? new Uri("https://receiver.example/events") : null, "test stream",
            CaepRiscMapping.TypesFor(CaepRiscMapping.Delivered(requested)), grant ?? ReadGrant.Everything, settings.ToConfig(),
            DestinationState.Enabled, null, 0, 1, "receiver-a", now, now, 0, null, null, null, null, null, 0);
        return SsfStream.Of(destination);
    }

    public static StoredEvent Event(long sequence, string type, string? agentId = "agent-7", string? userId = "alice", string data = """{"score":0.97}""")
    {
        var timestamp = new DateTimeOffset(2026, 12, 7, 19, 0, 0, TimeSpan.Zero).AddSeconds(sequence);
        var body = StoredEvent.BodyOf($"evt-{sequence}", type, timestamp, JsonDocument.Parse(data).RootElement, agentId, userId);
        return new StoredEvent(sequence, $"evt-{sequence}", type, agentId, userId, timestamp, timestamp.AddMilliseconds(5), body,
            Hash: Enumerable.Range(0, 32).Select(i => (byte)(i + sequence)).ToArray());
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
