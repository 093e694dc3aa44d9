namespace Kavach.StreamApi.Events;

/// <summary>
/// A committed event on its way to subscribers, its SSE frame formatted once however many subscribers receive it.
/// It keeps the fields that decide who receives it and the frame; the event's JSON lives only inside the frame.
/// </summary>
public sealed class EventEnvelope
{
    private EventEnvelope(StoredEvent stored, long epoch, byte[] frame)
    {
        Sequence = stored.Sequence;
        Epoch = epoch;
        Id = stored.Id;
        Type = stored.Type;
        AgentId = stored.AgentId;
        UserId = stored.UserId;
        CommittedAt = stored.CommittedAt;
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

    public static EventEnvelope From(StoredEvent stored, long epoch) =>
        new(stored, epoch, SseFrames.Event(new StreamPosition(epoch, stored.Sequence), stored));
}
