using System.Diagnostics.Metrics;

namespace Kavach.StreamApi.Diagnostics;

/// <summary>The stream's OpenTelemetry instruments (meter <c>Kavach.StreamApi</c>), shown in the Aspire dashboard.</summary>
public sealed class StreamMetrics
{
    public const string MeterName = "Kavach.StreamApi";

    private readonly Counter<long> _heartbeats;
    private readonly Histogram<double> _replayDuration;
    private readonly Counter<long> _emitted;
    private readonly Counter<long> _delivered;
    private readonly Histogram<double> _deliveryLatency;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _ended;
    private readonly Counter<long> _resyncs;
    private readonly Counter<long> _readFromStore;
    private readonly Counter<long> _epochs;
    private readonly Counter<long> _ambiguousCommits;
    private readonly Counter<long> _limited;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly UpDownCounter<long> _catchUpsWaiting;
    private readonly Histogram<int> _commitEvents;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _commitLockWait;
    private readonly Histogram<double> _commitQueueWait;
    private readonly Histogram<double> _hubDelay;
    private readonly Counter<long> _retentionSweeps;
    private readonly Counter<long> _retentionDeleted;
    private readonly Histogram<double> _retentionLongestBatch;

    public StreamMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _activeConnections = meter.CreateUpDownCounter<long>("kavach.stream.connections.active", "{connection}",
            "Open SSE streams on this replica.");
        _heartbeats = meter.CreateCounter<long>("kavach.stream.heartbeats", "{heartbeat}",
            "Heartbeat comments written to streams.");
        _replayDuration = meter.CreateHistogram<double>("kavach.stream.replay.duration", "s",
            "Time from a resuming stream's connect to its first moment caught up with the live stream.");
        _emitted = meter.CreateCounter<long>("kavach.stream.events.emitted", "{event}",
            "Events newly committed by emits on this replica (retried duplicates not counted).");
        _delivered = meter.CreateCounter<long>("kavach.stream.events.delivered", "{event}",
            "Events written to streams, live or replayed.");
        _deliveryLatency = meter.CreateHistogram<double>("kavach.stream.delivery.latency", "s",
            "From an event's commit to its live write on a stream (the oldest event of each write).");
        _rejected = meter.CreateCounter<long>("kavach.stream.connections.rejected", "{connection}",
            "Stream requests refused, by reason (unauthorized, limit, address_limit, subject_limit, closed).");
        _ended = meter.CreateCounter<long>("kavach.stream.connections.ended", "{connection}",
            "Streams ended, once each, by reason (client_gone, closing, slow_consumer, write_timeout, store_unavailable).");
        _resyncs = meter.CreateCounter<long>("kavach.stream.resyncs", "{resync}",
            "resync events sent, by reason (cursor-expired, cursor-ahead-of-stream, epoch-changed).");
        _readFromStore = meter.CreateCounter<long>("kavach.stream.hub.events_read", "{event}",
            "Events this replica's hub read from PostgreSQL because another replica committed them (or their hint was lost).");
        _epochs = meter.CreateCounter<long>("kavach.stream.epochs.begun", "{epoch}",
            "New epochs this replica moved to: the database's sequence went backwards (restore, failover).");
        _ambiguousCommits = meter.CreateCounter<long>("kavach.stream.emits.ambiguous", "{emit}",
            "Emits whose COMMIT failed in flight, by outcome once resolved (stored, not_stored, unknown).");
        _limited = meter.CreateCounter<long>("kavach.api.requests.limited", "{request}",
            "Requests refused with 429 by Kavach:Limits, by endpoint (emit, service_tokens, development_tokens, pages, replay, verify, proofs) " +
            "and limit (per_address, per_subject, concurrency, verify_budget).");
        _commitEvents = meter.CreateHistogram<int>("kavach.stream.commit.events", "{event}",
            "Events per group commit (one statement, one transaction, one fsync); its count is the commits.");
        _commitDuration = meter.CreateHistogram<double>("kavach.stream.commit.duration", "s",
            "A group commit's round trip: waiting for the sequence lock, claiming sequences, inserting and committing.");
        _commitLockWait = meter.CreateHistogram<double>("kavach.stream.commit.lock_wait", "s",
            "Time a group commit waited for the sequence lock (another replica's commit). Duration minus this is about the lock's hold.");
        _commitQueueWait = meter.CreateHistogram<double>("kavach.stream.commit.queue_wait", "s",
            "Time an emit waited for its group commit to begin (the previous group was committing).");
        _hubDelay = meter.CreateHistogram<double>("kavach.stream.hub.delay", "s",
            "From an event's commit to its place in this replica's live buffer: at once for local commits, a hint and a read for other replicas'.");
        _catchUpsWaiting = meter.CreateUpDownCounter<long>("kavach.stream.catchups.waiting", "{connection}",
            "Streams waiting for a turn to catch up (a reconnect storm shows here).");
        _retentionSweeps = meter.CreateCounter<long>("kavach.stream.retention.sweeps", "{sweep}",
            "Retention sweeps by outcome (swept, skipped: another replica held the retention lock, failed).");
        _retentionDeleted = meter.CreateCounter<long>("kavach.stream.retention.deleted", "{event}",
            "Events removed by retention on this replica.");
        _retentionLongestBatch = meter.CreateHistogram<double>("kavach.stream.retention.longest_batch", "s",
            "The longest batch (one DELETE statement and transaction) of each retention sweep that removed events.");
    }

    public void ConnectionOpened() => _activeConnections.Add(1);

    public void ConnectionClosed() => _activeConnections.Add(-1);

    public void Heartbeat() => _heartbeats.Add(1);

    public void Replayed(TimeSpan duration) => _replayDuration.Record(duration.TotalSeconds);

    public void Emitted(int count) => _emitted.Add(count);

    public void Delivered(int count)
    {
        if (count > 0)
        {
            _delivered.Add(count);
        }
    }

    public void DeliveredLive(TimeSpan latency) => _deliveryLatency.Record(Math.Max(0, latency.TotalSeconds));

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A stream ended, for <paramref name="reason"/> (snake_case: client_gone, slow_consumer, token_revoked…).</summary>
    public void StreamEnded(string reason) => _ended.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Resynced(string reason) => _resyncs.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ReadFromStore(int count) => _readFromStore.Add(count);

    public void EpochBegan() => _epochs.Add(1);

    public void AmbiguousCommit(string outcome) => _ambiguousCommits.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Limited(string endpoint, string limit) =>
        _limited.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("limit", limit));

    public void CatchUpWaiting(int delta) => _catchUpsWaiting.Add(delta);

    public void QueuedForCommit(TimeSpan wait) => _commitQueueWait.Record(wait.TotalSeconds);

    public void ReachedHub(TimeSpan sinceCommit) => _hubDelay.Record(Math.Max(0, sinceCommit.TotalSeconds));

    /// <summary>A sweep that deleted <paramref name="deleted"/> events, its longest batch taking <paramref name="longestBatch"/>.</summary>
    public void RetentionSwept(long deleted, TimeSpan longestBatch)
    {
        _retentionSweeps.Add(1, new KeyValuePair<string, object?>("outcome", "swept"));
        if (deleted > 0)
        {
            _retentionDeleted.Add(deleted);
            _retentionLongestBatch.Record(longestBatch.TotalSeconds);
        }
    }

    /// <summary>Another replica held the retention lock: this one swept nothing.</summary>
    public void RetentionSkipped() => _retentionSweeps.Add(1, new KeyValuePair<string, object?>("outcome", "skipped"));

    public void RetentionSweepFailed() => _retentionSweeps.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));

    /// <summary>One group commit: how many events, how long it took, how long it waited for the sequence's lock.</summary>
    public void Committed(int events, TimeSpan duration, TimeSpan lockWait)
    {
        _commitEvents.Record(events);
        _commitDuration.Record(duration.TotalSeconds);
        _commitLockWait.Record(lockWait.TotalSeconds);
    }
}
