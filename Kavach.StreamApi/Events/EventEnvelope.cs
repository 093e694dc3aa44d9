using System.Text.Json;

namespace Kavach.StreamApi.Events;

/// <summary>
/// A committed event on its way to subscribers: serialized once, and its SSE frame formatted once, however many
/// subscribers receive it.
/// </summary>
public sealed class EventEnvelope
{
    private byte[]? _frame;

    private EventEnvelope(long sequence, string type, string json, DateTimeOffset committedAt)
    {
        Sequence = sequence;
        Type = type;
        Json = json;
        CommittedAt = committedAt;
    }

    /// <summary>Not an event: tells a stream to write a heartbeat comment.</summary>
    public static EventEnvelope Heartbeat { get; } = new(0, "", "", default) { _frame = SseFrames.Heartbeat.ToArray() };

    public bool IsHeartbeat => ReferenceEquals(this, Heartbeat);

    public long Sequence { get; }

    public string Type { get; }

    /// <summary>The event as JSON (the SSE data line and the Redis payload).</summary>
    public string Json { get; }

    /// <summary>When the emit committed; for the emit-to-delivery latency metric.</summary>
    public DateTimeOffset CommittedAt { get; }

    public ReadOnlyMemory<byte> Frame => _frame ??= SseFrames.Event(Sequence, Type, Json);

    public static EventEnvelope From(StreamEvent @event, DateTimeOffset committedAt) =>
        new(@event.Sequence, @event.Type, JsonSerializer.Serialize(@event, StreamJsonContext.Default.StreamEvent), committedAt);

    /// <summary>Rebuilds an envelope from the JSON another replica published, without re-serializing it.</summary>
    public static EventEnvelope FromJson(string json, DateTimeOffset committedAt)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new EventEnvelope(root.GetProperty("sequence").GetInt64(), root.GetProperty("type").GetString()!, json, committedAt);
    }
}
