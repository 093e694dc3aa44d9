using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.Upstream;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Feed;

/// <summary>
/// The live feed one console instance shares between all browser sessions: the newest events in sequence order
/// (bounded ring), counts, per-minute rates, alerts and the upstream status. Readers take an immutable
/// <see cref="FeedSnapshot"/> and watch <see cref="WatchAsync"/> for changes.
/// </summary>
public sealed class EventFeed
{
    private readonly Lock _gate = new();
    private readonly KavachEvent[] _ring;
    private readonly long[] _countsByType = new long[EventTypes.All.Count];
    private readonly RateBuckets _rates = new(15);
    private readonly AlertTracker _alertTracker;
    private readonly List<Alert> _alerts = [];
    private readonly List<Channel<long>> _watchers = [];
    private readonly TimeProvider _time;
    private int _start;
    private int _count;
    private long _lastSequence;
    private long _received;
    private long _duplicatesDropped;
    private long _version;
    private FeedSnapshot? _snapshot;
    private UpstreamStatus _status = new();

    public EventFeed(IOptions<FeedOptions> options, TimeProvider time)
    {
        _ring = new KavachEvent[options.Value.Capacity];
        _alertTracker = new AlertTracker(options.Value.AuthFailedBurstThreshold, options.Value.AuthFailedBurstWindow);
        _time = time;
    }

    public int Capacity => _ring.Length;

    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _lastSequence;
            }
        }
    }

    /// <summary>
    /// Adds an event unless its sequence is not newer than the last one kept: across reconnects and API replica
    /// restarts the upstream may send an event again, and the feed must show it once, in order.
    /// </summary>
    public bool TryAppend(KavachEvent e)
    {
        lock (_gate)
        {
            if (e.Sequence <= _lastSequence)
            {
                _duplicatesDropped++;
                return false;
            }

            _lastSequence = e.Sequence;
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
            if (_alertTracker.Observe(e, _time.GetUtcNow()) is { } alert)
            {
                _alerts.Add(alert);
                TrimAcknowledgedAlerts();
            }

            ChangedLocked();
            return true;
        }
    }

    /// <summary>
    /// The stream began a new epoch (its database went back to an earlier state): what the feed holds after
    /// <paramref name="resumeAfter"/> belongs to a history that was replaced, so it goes, and the sequences after it
    /// are accepted again.
    /// </summary>
    public void BeginEpoch(long resumeAfter)
    {
        lock (_gate)
        {
            while (_count > 0 && _ring[(_start + _count - 1) % _ring.Length].Sequence > resumeAfter)
            {
                _count--;
            }

            _lastSequence = Math.Min(_lastSequence, resumeAfter);
            ChangedLocked();
        }
    }

    public void UpdateStatus(Func<UpstreamStatus, UpstreamStatus> update)
    {
        lock (_gate)
        {
            _status = update(_status);
            ChangedLocked();
        }
    }

    public void Acknowledge(long alertId)
    {
        lock (_gate)
        {
            var i = _alerts.FindIndex(a => a.Id == alertId);
            if (i >= 0 && !_alerts[i].Acknowledged)
            {
                _alerts[i] = _alerts[i] with { Acknowledged = true };
                ChangedLocked();
            }
        }
    }

    public void AcknowledgeAll()
    {
        lock (_gate)
        {
            for (var i = 0; i < _alerts.Count; i++)
            {
                _alerts[i] = _alerts[i] with { Acknowledged = true };
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
                _version, events, _received, _duplicatesDropped, _lastSequence, counts,
                _rates.Series(_time.GetUtcNow()), [.. _alerts], _status);
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

    private void TrimAcknowledgedAlerts()
    {
        const int MaxAlerts = 200;
        while (_alerts.Count > MaxAlerts)
        {
            var i = _alerts.FindIndex(a => a.Acknowledged);
            _alerts.RemoveAt(i >= 0 ? i : 0);
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
    RateSeries Rates,
    IReadOnlyList<Alert> Alerts,
    UpstreamStatus Status)
{
    public IEnumerable<Alert> OpenAlerts => Alerts.Where(a => !a.Acknowledged);
}
