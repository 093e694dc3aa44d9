using Kavach.Contracts;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// The one owner of "is this cursor usable, and where does the stream go on from it". A cursor from another epoch
/// goes back to the last sequence both epochs share; one ahead of the stream (a database reset or restored) starts at
/// the oldest event kept; one older than what retention kept starts there too; a live stream that falls out of the
/// buffer was either too slow or lost what came next to retention. Every case that cannot be exact is said with a
/// <c>resync</c> frame that names the stream's epoch.
/// </summary>
public sealed class CursorRules(ILiveEvents live, IStreamHistory history)
{
    /// <summary>Places a new stream: where it starts, in which phase, and what to tell the client.</summary>
    public async Task<Placement> PlaceAsync(StreamCursor cursor, StreamProgress progress, CancellationToken cancellationToken)
    {
        var buffer = live.Buffer;
        if (cursor.Since is { } since)
        {
            // A time window, not a position: whatever is kept in it is the answer.
            progress.Since = since;
            progress.KeptChecked = true;
            return new Placement(StreamTrigger.PlacedBehind, null);
        }

        if (cursor.After is not { } after)
        {
            progress.Sequence = buffer.Head;
            return new Placement(StreamTrigger.PlacedAtHead, null);
        }

        progress.Sequence = after.Sequence;
        if (live.SharedHistoryEnd(after.Epoch, out var unknownEpoch) is { } shared && after.Sequence > shared)
        {
            progress.Sequence = shared;
            return Behind(new Resync(ResyncReasons.EpochChanged, null, progress.Epoch, shared));
        }

        var ahead = unknownEpoch;
        if (!ahead && after.Sequence > buffer.Head)
        {
            // This replica may simply be a moment behind the one the client came from: the database decides.
            try
            {
                ahead = after.Sequence > await history.ReadLastAsync(cancellationToken);
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                // Unknown now; the stream waits at the cursor for the hub.
            }
        }

        if (ahead)
        {
            var firstKept = await history.ReadFirstKeptAsync(cancellationToken);
            progress.Sequence = firstKept - 1;
            progress.KeptChecked = true;
            return Behind(new Resync(ResyncReasons.CursorAheadOfStream, firstKept, progress.Epoch, null));
        }

        return Behind(null);
    }

    /// <summary>The epoch changed under the stream: back to the last shared sequence of the new one.</summary>
    public Resync FollowEpoch(StreamProgress progress, LiveBuffer buffer)
    {
        var shared = live.SharedHistoryEnd(progress.Epoch, out _) ?? buffer.StartsAfter;
        progress.Sequence = Math.Min(progress.Sequence, shared);
        progress.Epoch = buffer.Epoch;
        progress.KeptChecked = false;
        progress.CheckpointSent = 0;
        return new Resync(ResyncReasons.EpochChanged, null, progress.Epoch, progress.Sequence);
    }

    /// <summary>
    /// Before the first read from PostgreSQL: a position older than the oldest event kept moves to it. Null when the
    /// position is still good.
    /// </summary>
    public async Task<Resync?> CheckKeptAsync(StreamProgress progress, CancellationToken cancellationToken)
    {
        if (progress.KeptChecked)
        {
            return null;
        }

        progress.KeptChecked = true;
        var firstKept = await history.ReadFirstKeptAsync(cancellationToken);
        if (progress.Sequence + 1 >= firstKept)
        {
            return null;
        }

        progress.Sequence = firstKept - 1;
        return new Resync(ResyncReasons.CursorExpired, firstKept, progress.Epoch, null);
    }

    /// <summary>
    /// A live stream whose next event the buffer no longer holds: pushed out by newer events (it fell behind: the stream
    /// ends), or removed by retention from PostgreSQL and memory alike (it reads on from what is kept).
    /// </summary>
    public static StreamTrigger? WhenOutOfBuffer(StreamProgress progress, LiveBuffer buffer)
    {
        if (buffer.Holds(progress.Sequence))
        {
            return null;
        }

        if (progress.Sequence + 1 >= buffer.PrunedBefore)
        {
            return StreamTrigger.Ending;
        }

        progress.KeptChecked = false;
        return StreamTrigger.HistoryPruned;
    }

    private static Placement Behind(Resync? resync) => new(StreamTrigger.PlacedBehind, resync);
}

/// <summary>Where a cursor put a stream: at the head or behind it, and the resync to tell when that was not exact.</summary>
public readonly record struct Placement(StreamTrigger Trigger, Resync? Resync);
