using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// This replica's delivery point. It learns of committed events from local emits (the events themselves), from
/// other replicas (a hint through the broker: only "committed up to N"), and from a periodic check of PostgreSQL;
/// content that did not come from a local commit is always read from PostgreSQL, so nothing but the database can
/// decide what is delivered. Events enter the <see cref="LiveBuffer"/> strictly in sequence order and streams read
/// them from there. The same check notices when the database's sequence went backwards and begins a new epoch.
/// </summary>
public sealed class EventHub(
    EventStore store,
    SchemaInitializer schema,
    StreamMetrics metrics,
    IEnumerable<IDeliveryObserver> observers,
    IOptions<StreamOptions> options,
    ILogger<EventHub> logger) : BackgroundService, IHealthCheck, ILiveEvents
{
    private const int ReadPageSize = 1000;

    private readonly StreamOptions _options = options.Value;
    private readonly IDeliveryObserver[] _observers = [.. observers];
    private readonly Channel<HubInput> _incoming = Channel.CreateUnbounded<HubInput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<WakeSignal, byte> _listeners = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LiveBuffer? _buffer;
    private ImmutableArray<EpochStart> _epochs = [];
    private long _highestEpochSeen;
    private long _lastSync;

    /// <summary>Completes once the hub knows the stream position and can serve streams.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The current epoch's live buffer. A new instance replaces it when an epoch begins.</summary>
    public LiveBuffer Buffer => Volatile.Read(ref _buffer) ?? throw new InvalidOperationException("The hub is not ready.");

    /// <summary>The last position delivered.</summary>
    public StreamPosition Position
    {
        get
        {
            var buffer = Buffer;
            return new StreamPosition(buffer.Epoch, buffer.Head);
        }
    }

    /// <summary>The stream's identity in PostgreSQL; namespaces fan-out messages.</summary>
    public Guid StreamId { get; private set; }

    /// <summary>Raised on the hub's loop when a new epoch begins (the broker moves to its channel).</summary>
    public event Action<long>? EpochBegan;

    public void Listen(WakeSignal signal) => _listeners.TryAdd(signal, 0);

    public void Unlisten(WakeSignal signal) => _listeners.TryRemove(signal, out _);

    /// <summary>Events this replica just committed, in the epoch the commit saw.</summary>
    public void Committed(long epoch, IReadOnlyList<StoredEvent> events) => _incoming.Writer.TryWrite(new LocalCommit(epoch, events));

    /// <summary>Another replica committed up to <paramref name="sequence"/> (a hint: the content is read from PostgreSQL).</summary>
    public void Hint(long epoch, long sequence) => _incoming.Writer.TryWrite(new CommitHint(epoch, sequence));

    public void RequestCatchUp() => _incoming.Writer.TryWrite(new HeadCheck(null));

    /// <summary>Checks the database's head now (an emit found it behind); completes when the check is done.</summary>
    public Task CheckHeadAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _incoming.Writer.TryWrite(new HeadCheck(done));
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The last sequence that a cursor of <paramref name="epoch"/> shares with the current epoch: everything after it
    /// may differ. Null when the epoch is the current one (all of it is shared) or unknown to this stream (ahead of it).
    /// </summary>
    public long? SharedHistoryEnd(long epoch, out bool unknownEpoch)
    {
        var current = Buffer.Epoch;
        unknownEpoch = epoch > current;
        if (epoch >= current)
        {
            return null;
        }

        var later = _epochs.Where(e => e.Epoch > epoch && e.Epoch <= current).ToList();
        return later.Count == 0 ? 0 : later.Min(e => e.StartsAfter);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!_ready.Task.IsCompletedSuccessfully)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Not delivering yet: the stream position is not known."));
        }

        var sinceSync = TimeSpan.FromTicks((DateTime.UtcNow.Ticks - Volatile.Read(ref _lastSync)));
        var limit = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(10).Ticks, 5 * _options.CatchUpInterval.Ticks));
        return Task.FromResult(sinceSync > limit
            ? HealthCheckResult.Unhealthy($"Not delivering: no successful check of PostgreSQL for {sinceSync.TotalSeconds:0} s (at {Position}).")
            : HealthCheckResult.Healthy($"Delivering; at {Position}."));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                var head = await store.ReadHeadAsync(stoppingToken);
                StreamId = head.StreamId;
                _epochs = [.. await store.ReadEpochsAsync(stoppingToken)];
                _highestEpochSeen = head.Epoch;
                Volatile.Write(ref _buffer, NewBuffer(head.Epoch, head.Last));
                MarkSynced();
                break;
            }
            catch (Exception e) when (IsDatabaseFailure(e))
            {
                logger.LogWarning(e, "Reading the stream position failed; retrying in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }

        _ready.TrySetResult();
        logger.LogInformation("Event hub ready at {Position}", Position);
        await Task.WhenAll(ProcessAsync(stoppingToken), TickAsync(stoppingToken));
    }

    private async Task ProcessAsync(CancellationToken stoppingToken)
    {
        var locals = new List<LocalCommit>();
        var checks = new List<TaskCompletionSource>();
        try
        {
            while (await _incoming.Reader.WaitToReadAsync(stoppingToken))
            {
                var hinted = 0L;
                var check = false;
                while (_incoming.Reader.TryRead(out var input))
                {
                    switch (input)
                    {
                        case LocalCommit local:
                            locals.Add(local);
                            break;
                        case CommitHint hint when hint.Epoch == Buffer.Epoch:
                            hinted = Math.Max(hinted, hint.Sequence);
                            break;
                        case CommitHint:
                            check = true; // another epoch: the check finds out which
                            break;
                        case HeadCheck head:
                            check = true;
                            if (head.Done is { } done)
                            {
                                checks.Add(done);
                            }

                            break;
                    }
                }

                var before = Buffer;
                var headBefore = before.Head;
                try
                {
                    if (check)
                    {
                        await SyncWithDatabaseAsync(stoppingToken);
                    }

                    foreach (var local in locals.OrderBy(l => l.Events.Count == 0 ? 0 : l.Events[0].Sequence))
                    {
                        await AcceptAsync(local, stoppingToken);
                    }

                    if (hinted > Buffer.Head)
                    {
                        await ReadCommittedAsync(stoppingToken);
                    }
                }
                catch (Exception e) when (IsDatabaseFailure(e))
                {
                    // Nothing is lost: the next check reads on from the last delivered sequence.
                    logger.LogWarning(e, "Reading committed events from PostgreSQL failed; retrying on the next check");
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Whatever else went wrong, the hub must live on: the next check starts again from the buffer's head.
                    logger.LogError(e, "Delivering committed events failed; retrying on the next check");
                }
                finally
                {
                    locals.Clear();
                    foreach (var done in checks)
                    {
                        done.TrySetResult();
                    }

                    checks.Clear();
                }

                if (!ReferenceEquals(before, Buffer) || Buffer.Head != headBefore)
                {
                    WakeListeners();
                    if (Buffer.TryGet(Buffer.Head) is { } newest)
                    {
                        metrics.ReachedHub(DateTimeOffset.UtcNow - newest.CommittedAt);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.CatchUpInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                RequestCatchUp();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Local commits go straight into the buffer when they are next; a gap before them is read first.</summary>
    private async Task AcceptAsync(LocalCommit local, CancellationToken cancellationToken)
    {
        if (local.Epoch != Buffer.Epoch)
        {
            await SyncWithDatabaseAsync(cancellationToken);
            return;
        }

        foreach (var committed in local.Events)
        {
            var buffer = Buffer;
            var sequence = committed.Sequence;
            if (sequence <= buffer.Head)
            {
                if (buffer.TryGet(sequence) is { } delivered && delivered.Id != committed.Id)
                {
                    // This replica committed a sequence it had already delivered with another event.
                    await SyncWithDatabaseAsync(cancellationToken);
                    return;
                }

                continue;
            }

            if (sequence > buffer.Head + 1)
            {
                await ReadCommittedAsync(cancellationToken, upTo: sequence - 1);
            }

            if (ReferenceEquals(buffer, Buffer) && sequence == buffer.Head + 1)
            {
                Append(buffer, committed);
            }
        }
    }

    /// <summary>
    /// Compares the database's head with what this hub delivered: follows an epoch another replica began, begins one
    /// when the sequence went backwards, and otherwise reads what was committed since.
    /// </summary>
    private async Task SyncWithDatabaseAsync(CancellationToken cancellationToken)
    {
        await ResolveAsync(await store.ReadHeadAsync(cancellationToken), cancellationToken);
        MarkSynced();
    }

    private async Task ResolveAsync(StreamHead head, CancellationToken cancellationToken)
    {
        var buffer = Buffer;
        if (head.Epoch > buffer.Epoch)
        {
            await SwitchEpochAsync(head, cancellationToken);
        }
        else if (head.Epoch < buffer.Epoch || head.Last < buffer.Head)
        {
            await BeginEpochAsync(head, head.Epoch < buffer.Epoch ? "epoch-behind" : "sequence-regression", cancellationToken);
        }
        else if (!await TryReadCommittedAsync(cancellationToken, upTo: null, verify: head.Oldest <= buffer.Head))
        {
            await BeginEpochAsync(head, "history-replaced", cancellationToken);
        }
        else
        {
            // What retention removed from PostgreSQL is not served from memory either (within one check interval).
            Buffer.EvictBefore(head.FirstKept);
        }
    }

    /// <summary>Appends what PostgreSQL holds after the buffer's head (up to <paramref name="upTo"/>).</summary>
    private async Task ReadCommittedAsync(CancellationToken cancellationToken, long? upTo = null)
    {
        if (!await TryReadCommittedAsync(cancellationToken, upTo, verify: true))
        {
            // The event delivered at the head is not where it was: pruned, or the history changed. The head decides.
            await ResolveAsync(await store.ReadHeadAsync(cancellationToken), cancellationToken);
        }
    }

    /// <summary>
    /// Reads pages after the head. With <paramref name="verify"/>, the read starts at the head itself to check that
    /// the database still holds the event delivered there; false (nothing appended) when it does not.
    /// </summary>
    private async Task<bool> TryReadCommittedAsync(CancellationToken cancellationToken, long? upTo, bool verify)
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
                    buffer = NewBuffer(buffer.Epoch, sequence - 1);
                    Volatile.Write(ref _buffer, buffer);
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

    /// <summary>
    /// The database is behind (or holds other events at) sequences this hub delivered. Finds the last sequence both
    /// histories share, begins a new epoch after it, and moves every stream there.
    /// </summary>
    private async Task BeginEpochAsync(StreamHead head, string reason, CancellationToken cancellationToken)
    {
        var buffer = Buffer;
        var shared = Math.Min(head.Last, buffer.Head);
        if (buffer.Count > 0)
        {
            var stored = await store.ReadIdsAsync(buffer.Tail, Math.Min(buffer.Head, head.Last), cancellationToken);
            for (var sequence = buffer.Tail; sequence <= shared; sequence++)
            {
                if (!stored.TryGetValue(sequence, out var id) || buffer.TryGet(sequence)?.Id != id)
                {
                    shared = sequence - 1;
                    break;
                }
            }
        }
        else
        {
            shared = Math.Min(shared, buffer.StartsAfter);
        }

        logger.LogError(
            "The stream in PostgreSQL is at {Database} but this replica delivered up to {Delivered} ({Reason}); beginning a new epoch after sequence {Shared}",
            new StreamPosition(head.Epoch, head.Last), Position, reason, shared);
        await store.BeginEpochAsync(head.Epoch, Math.Max(_highestEpochSeen, buffer.Epoch) + 1, shared, reason, cancellationToken);
        var begun = await store.ReadHeadAsync(cancellationToken);
        if (begun.Epoch > buffer.Epoch)
        {
            await SwitchEpochAsync(begun, cancellationToken);
        }
        else
        {
            logger.LogWarning("No new epoch after {Position} yet (the database is at epoch {Epoch}); the next check tries again", Position, begun.Epoch);
        }
    }

    private async Task SwitchEpochAsync(StreamHead head, CancellationToken cancellationToken)
    {
        _epochs = [.. await store.ReadEpochsAsync(cancellationToken)];
        _highestEpochSeen = Math.Max(_highestEpochSeen, head.Epoch);
        Volatile.Write(ref _buffer, NewBuffer(head.Epoch, head.EpochStartsAfter));
        metrics.EpochBegan();
        logger.LogWarning("Epoch {Epoch} began after sequence {StartsAfter}: every stream resynchronizes", head.Epoch, head.EpochStartsAfter);
        EpochBegan?.Invoke(head.Epoch);
        WakeListeners();
        await ReadCommittedAsync(cancellationToken);
    }

    private LiveBuffer NewBuffer(long epoch, long startsAfter)
    {
        foreach (var observer in _observers)
        {
            observer.Restarted(epoch, startsAfter);
        }

        return new(epoch, startsAfter, _options.LiveBufferEvents, _options.LiveBufferBytes);
    }

    private void Append(LiveBuffer buffer, StoredEvent committed)
    {
        buffer.Append(EventEnvelope.From(committed, buffer.Epoch));
        foreach (var observer in _observers)
        {
            observer.Delivered(buffer.Epoch, committed);
        }
    }

    private void WakeListeners()
    {
        // Enumerating the dictionary itself takes no lock and copies nothing (Keys would copy).
        foreach (var (listener, _) in _listeners)
        {
            listener.Set();
        }
    }

    private void MarkSynced() => Volatile.Write(ref _lastSync, DateTime.UtcNow.Ticks);

    internal static bool IsDatabaseFailure(Exception e) => e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException { Source: "Npgsql" };

    private abstract record HubInput;

    private sealed record LocalCommit(long Epoch, IReadOnlyList<StoredEvent> Events) : HubInput;

    private sealed record CommitHint(long Epoch, long Sequence) : HubInput;

    private sealed record HeadCheck(TaskCompletionSource? Done) : HubInput;
}
