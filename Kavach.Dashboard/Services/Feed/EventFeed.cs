using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kavach.Client;
using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Events;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Feed;

/// <summary>
/// The live feed one console instance shares between all browser sessions: the newest events in sequence order
/// (bounded ring), counts and per-minute rates. Readers take an immutable <see cref="FeedSnapshot"/> and watch
/// <see cref="WatchAsync"/> for changes. Each new event also goes, once and in order, to the alert rules
/// (<see cref="PendingRaises"/>); alerts themselves live in the API, not here.
/// </summary>
public sealed class EventFeed
{
    private readonly Lock _gate = new();
    private readonly KavachEvent[] _ring;
    private readonly long[] _countsByType = new long[EventTypes.All.Count];
    private readonly RateBuckets _rates = new(15);
    private readonly PendingRaises? _rules;
    private readonly List<Channel<long>> _watchers = [];
    private readonly TimeProvider _time;
    private readonly DeliveryGate _order = new();
    private int _start;
    private int _count;
    private long _received;
    private long _duplicatesDropped;
    private long _version;
    private FeedSnapshot? _snapshot;

    public EventFeed(IOptions<FeedOptions> options, TimeProvider time, PendingRaises? rules = null)
    {
        _ring = new KavachEvent[options.Value.Capacity];
        _time = time;
        _rules = rules;
    }

    public int Capacity => _ring.Length;

    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return LastSequenceLocked;
            }
        }
    }

    private long LastSequenceLocked => _order.Position?.Sequence ?? 0;

    /// <summary>
    /// Adds an event unless its position is not after the last one kept: across reconnects and API replica restarts the
    /// upstream may send an event again, and the feed must show it once, in order.
    /// </summary>
    public bool TryAppend(KavachEvent e)
    {
        lock (_gate)
        {
            if (!_order.Admit(e.Position ?? _order.PositionOf(null, e.Sequence)))
            {
                _duplicatesDropped++;
                return false;
            }

            _received++;
            var end = (_start + _count) % _ring.Length;
            _ring[end] = e;
            if (_count < _ring.Length)
            {
                _count++;
            }
            else
            {
                _start = (_start + 1) % _ring.Length;
            }

            var index = EventTypes.IndexOf(e.Type);
            if (index >= 0)
            {
                _countsByType[index]++;
            }

            _rates.Add(e.Type, e.Timestamp);
            _rules?.Observe(e);

            ChangedLocked();
            return true;
        }
    }

    /// <summary>The epoch the upstream's connection announced: that of an event whose position names none.</summary>
    public void Connected(long? epoch)
    {
        lock (_gate)
        {
            _order.Connected(epoch);
        }
    }

    /// <summary>
    /// The stream goes on where the resync says: after a new epoch's <c>resumeAfter</c> (the database went back to an
    /// earlier state), from the oldest kept event (retention), or from the start of a stream at a lower epoch (the
    /// database was reset). What the feed holds after that point belongs to a history that was replaced, so it goes,
    /// and the positions after it are accepted again.
    /// </summary>
    public void Resync(Resync resync)
    {
        lock (_gate)
        {
            _order.Apply(resync);
            while (_count > 0 && _ring[(_start + _count - 1) % _ring.Length].Sequence > LastSequenceLocked)
            {
                _count--;
            }

            ChangedLocked();
        }
    }

    /// <summary>An immutable view; the same instance is handed out until something changes.</summary>
    public FeedSnapshot Snapshot()
    {
        lock (_gate)
        {
            if (_snapshot is { } cached && cached.Version == _version)
            {
                return cached;
            }

            var events = new KavachEvent[_count];
            var firstPart = Math.Min(_count, _ring.Length - _start);
            Array.Copy(_ring, _start, events, 0, firstPart);
            Array.Copy(_ring, 0, events, firstPart, _count - firstPart);

            var counts = new Dictionary<string, long>(EventTypes.All.Count);
            for (var i = 0; i < EventTypes.All.Count; i++)
            {
                counts[EventTypes.All[i]] = _countsByType[i];
            }

            _snapshot = new FeedSnapshot(
                _version, events, _received, _duplicatesDropped, LastSequenceLocked, counts,
                _rates.Series(_time.GetUtcNow()));
            return _snapshot;
        }
    }

    /// <summary>
    /// Yields the feed version whenever it changes. Each watcher has a one-slot buffer that keeps only the newest
    /// version, so a slow page never slows the feed down; it just sees fewer, later versions.
    /// </summary>
    public async IAsyncEnumerable<long> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            _watchers.Add(channel);
        }

        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var version))
                {
                    yield return version;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    private void ChangedLocked()
    {
        _version++;
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(_version);
        }
    }
}

/// <summary>The feed at one version. <see cref="Events"/> is in ascending sequence order.</summary>
public sealed record FeedSnapshot(
    long Version,
    IReadOnlyList<KavachEvent> Events,
    long Received,
    long DuplicatesDropped,
    long LastSequence,
    IReadOnlyDictionary<string, long> CountsByType,
    RateSeries Rates);
