using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>
/// Exactly once, in order: admits an event only if its position is after the last one delivered — a later epoch,
/// or a higher sequence in the same epoch — so the events a resume sends again are dropped. A <c>resync</c> moves
/// the position where the server says the stream continues (an epoch change goes back to <c>resumeAfter</c>).
/// The position is also the cursor a reconnect sends as Last-Event-ID.
/// </summary>
public sealed class DeliveryGate(StreamPosition? start = null)
{
    private long _connectedEpoch = StreamPosition.FirstEpoch;

    // Boxed, so that another thread reading the cursor (to save it) never sees half of an update.
    private volatile Box? _position = start is { } first ? new Box(first) : null;

    /// <summary>The last event delivered, or where a resync said the stream continues; null before either.</summary>
    public StreamPosition? Position
    {
        get => _position?.Value;
        private set => _position = value is { } position ? new Box(position) : null;
    }

    /// <summary>The epoch the server announced in <c>connected</c>: the epoch of an event whose id names none.</summary>
    public void Connected(long? epoch) => _connectedEpoch = epoch ?? StreamPosition.FirstEpoch;

    /// <summary>Where an event stands: its SSE id when that parses, else its sequence in the connection's epoch.</summary>
    public StreamPosition PositionOf(string? eventId, long sequence) =>
        eventId is not null && StreamPosition.TryParse(eventId, out var position)
            ? position
            : new StreamPosition(_connectedEpoch, sequence);

    /// <summary>True (and the position moves) when the event is new; false for one already delivered.</summary>
    public bool Admit(StreamPosition position)
    {
        if (Position is { } last && (position.Epoch < last.Epoch || (position.Epoch == last.Epoch && position.Sequence <= last.Sequence)))
        {
            return false;
        }

        Position = position;
        return true;
    }

    /// <summary>
    /// Follows the server: after <c>resumeAfter</c> in the new epoch, or from <c>oldestSequence</c> — in the epoch the
    /// resync names (the connection's, from a server that names none). That may be lower than the position's: a
    /// database that was reset, or restored cold, starts again at epoch 1.
    /// </summary>
    public void Apply(Resync resync)
    {
        var epoch = resync.Epoch ?? _connectedEpoch;
        if (resync.Reason == ResyncReasons.EpochChanged && resync.ResumeAfter is { } resumeAfter)
        {
            _connectedEpoch = epoch;
            Position = new StreamPosition(epoch, resumeAfter);
        }
        else if (resync.OldestSequence is { } oldest)
        {
            // Retention removed what came before (cursor-expired), or the cursor was beyond the stream's head
            // (cursor-ahead-of-stream, a database reset): either way the stream goes on from oldestSequence.
            _connectedEpoch = epoch;
            Position = new StreamPosition(epoch, Math.Max(0, oldest - 1));
        }
    }

    private sealed record Box(StreamPosition Value);
}
