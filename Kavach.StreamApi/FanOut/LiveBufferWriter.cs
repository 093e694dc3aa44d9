using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// The hub's only way into its <see cref="LiveBuffer"/>: an event goes in exactly one sequence after the head, and every
/// delivery observer sees it there. Pages read from PostgreSQL come in the same way; rows missing from the database
/// itself start a fresh buffer after the gap. Used on the hub's loop only.
/// </summary>
internal sealed class LiveBufferWriter(
    ICommittedStream store,
    IDeliveryObserver[] observers,
    StreamMetrics metrics,
    StreamOptions options,
    ILogger logger)
{
    private const int ReadPageSize = 1000;

    private LiveBuffer? _buffer;

    /// <summary>The current buffer, or null before the hub knows where the stream stands.</summary>
    public LiveBuffer? Current => Volatile.Read(ref _buffer);

    public LiveBuffer Buffer => Current ?? throw new InvalidOperationException("The hub is not ready.");

    /// <summary>Delivery (re)starts after <paramref name="startsAfter"/> in <paramref name="epoch"/>, in a new buffer.</summary>
    public LiveBuffer Restart(long epoch, long startsAfter)
    {
        foreach (var observer in observers)
        {
            observer.Restarted(epoch, startsAfter);
        }

        var buffer = new LiveBuffer(epoch, startsAfter, options.LiveBufferEvents, options.LiveBufferBytes);
        Volatile.Write(ref _buffer, buffer);
        return buffer;
    }

    public void Append(LiveBuffer buffer, StoredEvent committed)
    {
        buffer.Append(EventEnvelope.From(committed, buffer.Epoch));
        foreach (var observer in observers)
        {
            observer.Delivered(buffer.Epoch, committed);
        }
    }

    /// <summary>
    /// Reads pages after the head (up to <paramref name="upTo"/>). With <paramref name="verify"/>, the read starts at
    /// the head itself to check that the database still holds the event delivered there; false (nothing appended) when
    /// it does not.
    /// </summary>
    public async Task<bool> TryReadCommittedAsync(long? upTo, bool verify, CancellationToken cancellationToken)
    {
        var buffer = Buffer;
        var check = verify ? buffer.TryGet(buffer.Head) : null;
        var read = 0;
        while (upTo is null || buffer.Head < upTo)
        {
            var page = await store.ReadAsync(
                new EventQuery(check is null ? buffer.Head : check.Sequence - 1, ReadPageSize, UpTo: upTo), cancellationToken);
            var first = 0;
            if (check is not null)
            {
                if (page.Count == 0 || page[0].Sequence != check.Sequence || page[0].Id != check.Id)
                {
                    return false;
                }

                first = 1;
                check = null;
            }

            for (var i = first; i < page.Count; i++)
            {
                var committed = page[i];
                var sequence = committed.Sequence;
                if (sequence != buffer.Head + 1)
                {
                    // Rows missing from the database itself (deleted by hand, or pruned while this hub was far
                    // behind): start a fresh buffer there; streams behind it read what exists from PostgreSQL.
                    logger.LogError("PostgreSQL has no events between sequences {After} and {Next}; continuing from {Next}",
                        buffer.Head, sequence, sequence);
                    buffer = Restart(buffer.Epoch, sequence - 1);
                }

                Append(buffer, committed);
                read++;
            }

            if (page.Count < ReadPageSize)
            {
                break;
            }
        }

        if (read > 0)
        {
            metrics.ReadFromStore(read);
        }

        return true;
    }
}
