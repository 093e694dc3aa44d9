using System.Text.Json;

namespace Kavach.StreamApi.Events;

/// <summary>
/// A committed event on its way to subscribers, its SSE frame formatted once however many subscribers receive it.
/// It keeps the fields that decide who receives it and the frame; the event's JSON lives only inside the frame.
/// </summary>
public sealed class EventEnvelope
{
    private EventEnvelope(StreamEvent @event, long epoch, DateTimeOffset committedAt, byte[] frame)
    {
        Sequence = @event.Sequence;
        Epoch = epoch;
        Id = @event.Id;
        Type = @event.Type;
        AgentId = @event.AgentId;
        UserId = @event.UserId;
        CommittedAt = committedAt;
        Frame = frame;
    }

    public long Sequence { get; }

    public long Epoch { get; }

    public string Id { get; }

    public string Type { get; }

    public string? AgentId { get; }

    public string? UserId { get; }

    /// <summary>When the emit committed; for the commit-to-delivery latency metric.</summary>
    public DateTimeOffset CommittedAt { get; }

    public byte[] Frame { get; }

    /// <summary>Bytes of every frame up to and including this one in the live buffer; set once when appended there.</summary>
    internal long EndOffset { get; set; }

    public StreamPosition Position => new(Epoch, Sequence);

    public static EventEnvelope From(StreamEvent @event, long epoch, DateTimeOffset committedAt) =>
        new(@event, epoch, committedAt, SseFrames.Event(new StreamPosition(epoch, @event.Sequence), @event.Type,
            JsonSerializer.Serialize(@event, StreamJsonContext.Default.StreamEvent)));
}
