using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// The log as senders read it, one event after their cursor at a time: from the hub's live buffer when it still holds
/// the cursor, else from PostgreSQL in pages that every sender shares — a page read for one destination serves all
/// whose cursors fall in it, and only one page is read at a time, from the history pool — so a thousand destinations
/// catching up are a few reads, not a thousand. Reads go only up to the hub's head: everything up to it is committed,
/// so no page can miss an event that commits later below it.
/// </summary>
public sealed class DeliveryLog(ILiveEvents live, ICommittedStream store)
{
    public const int PageSize = 256;
    private const int PagesKept = 16;

    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly Lock _pagesLock = new();
    private readonly LinkedList<LogPage> _pages = new();

    public LiveBuffer Buffer => live.Buffer;

    /// <inheritdoc cref="ILiveEvents.SharedHistoryEnd"/>
    public long? SharedHistoryEnd(long epoch, out bool unknownEpoch) => live.SharedHistoryEnd(epoch, out unknownEpoch);

    /// <summary>The next event after <paramref name="after"/> (in the buffer's epoch), or how far there is nothing; none at the head.</summary>
    public async ValueTask<LogRead> NextAsync(long after, CancellationToken cancellationToken)
    {
        var buffer = live.Buffer;
        var head = buffer.Head;
        if (after >= head)
        {
            return LogRead.None;
        }

        if (buffer.Holds(after) && buffer.TryGet(after + 1) is { } envelope)
        {
            return new LogRead(new LogEvent(envelope.Sequence, envelope.Type, envelope.AgentId, envelope.UserId, envelope.CommittedAt, envelope, null), null);
        }

        if (Find(buffer.Epoch, after) is { } cached)
        {
            return cached;
        }

        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (Find(buffer.Epoch, after) is { } readMeanwhile)
            {
                return readMeanwhile;
            }

            var events = await store.ReadAsync(new EventQuery(after, PageSize, UpTo: head), cancellationToken, fromHistoryPool: true);
            if (live.Buffer.Epoch != buffer.Epoch)
            {
                return LogRead.None; // the database went back meanwhile: the sender follows the epoch first
            }

            var page = new LogPage(buffer.Epoch, after, events.Count == PageSize ? events[^1].Sequence : head, events);
            lock (_pagesLock)
            {
                _pages.AddFirst(page);
                if (_pages.Count > PagesKept)
                {
                    _pages.RemoveLast();
                }
            }

            return page.Next(after)!.Value;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>The event itself, for a channel: converted from the buffer's frame, or read again should that fail.</summary>
    public async ValueTask<StoredEvent?> StoredAsync(LogEvent e, CancellationToken cancellationToken)
    {
        if ((e.Stored ?? (e.Envelope is { } envelope ? EnvelopeEvents.ToStored(envelope) : null)) is { } stored)
        {
            return stored;
        }

        var read = await store.ReadAsync(new EventQuery(e.Sequence - 1, 1, UpTo: e.Sequence), cancellationToken, fromHistoryPool: true);
        return read.FirstOrDefault();
    }

    private LogRead? Find(long epoch, long after)
    {
        lock (_pagesLock)
        {
            foreach (var page in _pages)
            {
                if (page.Epoch == epoch && page.Next(after) is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    /// <summary>Every event of (<see cref="After"/>, <see cref="Through"/>], read at once.</summary>
    private sealed record LogPage(long Epoch, long After, long Through, List<StoredEvent> Events)
    {
        public LogRead? Next(long after)
        {
            if (after < After || after >= Through)
            {
                return null;
            }

            var low = 0;
            var high = Events.Count;
            while (low < high)
            {
                var middle = (low + high) / 2;
                if (Events[middle].Sequence <= after)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            if (low == Events.Count)
            {
                return new LogRead(null, Through);
            }

            var e = Events[low];
            return new LogRead(new LogEvent(e.Sequence, e.Type, e.AgentId, e.UserId, e.CommittedAt, null, e), null);
        }
    }
}

/// <summary>One event of the log, from the buffer (<see cref="Envelope"/>) or a page (<see cref="Stored"/>).</summary>
public sealed record LogEvent(long Sequence, string Type, string? AgentId, string? UserId, DateTimeOffset CommittedAt, EventEnvelope? Envelope, StoredEvent? Stored)
;

/// <summary>The next event, or (<see cref="NothingThrough"/>) that no event exists up to that sequence; neither: nothing yet.</summary>
public readonly record struct LogRead(LogEvent? Event, long? NothingThrough)
{
    public static LogRead None => default;
}
