using System.Threading.Channels;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// This replica's delivery point. It learns of committed events from local emits (the events themselves), from
/// other replicas (a hint through the broker: only "committed up to N"), and from a periodic check of PostgreSQL;
/// content that did not come from a local commit is always read from PostgreSQL, so nothing but the database can
/// decide what is delivered. One loop takes these inputs and appends to the <see cref="LiveBuffer"/> strictly in
/// sequence order (through <see cref="LiveBufferWriter"/>); streams read from there. The check also notices when the
/// database's sequence went backwards or moved to another epoch (<see cref="EpochResolver"/>).
/// </summary>
public sealed class EventHub : BackgroundService, ILiveEvents
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(5);

    private readonly ICommittedStream _store;
    private readonly ISchemaReady _schema;
    private readonly StreamMetrics _metrics;
    private readonly StreamOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EventHub> _logger;
    private readonly LiveBufferWriter _writer;
    private readonly EpochResolver _epochs;
    private readonly StreamListeners _listeners = new();
    private readonly Channel<HubInput> _incoming = Channel.CreateUnbounded<HubInput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastSync;

    public EventHub(
        ICommittedStream store,
        ISchemaReady schema,
        StreamMetrics metrics,
        IEnumerable<IDeliveryObserver> observers,
        IOptions<StreamOptions> options,
        TimeProvider time,
        ILogger<EventHub> logger)
    {
        _store = store;
        _schema = schema;
        _metrics = metrics;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _writer = new LiveBufferWriter(store, [.. observers], metrics, _options, logger);
        _epochs = new EpochResolver(store, _writer, metrics, OnEpochBegan, logger);
    }

    /// <summary>Completes once the hub knows the stream position and can serve streams.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The current epoch's live buffer. A new instance replaces it when an epoch begins.</summary>
    public LiveBuffer Buffer => _writer.Buffer;

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

    /// <summary>When the hub last compared its position with PostgreSQL's successfully (<see cref="HubHealthCheck"/>).</summary>
    public DateTimeOffset LastSynced => new(Volatile.Read(ref _lastSync), TimeSpan.Zero);

    /// <summary>Raised on the hub's loop when a new epoch begins (the broker moves to its channel).</summary>
    public event Action<long>? EpochBegan;

    public void Listen(WakeSignal signal) => _listeners.Add(signal);

    public void Unlisten(WakeSignal signal) => _listeners.Remove(signal);

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
    public long? SharedHistoryEnd(long epoch, out bool unknownEpoch) => _epochs.SharedHistoryEnd(epoch, out unknownEpoch);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _schema.Ready.WaitAsync(stoppingToken);
        var delay = FirstRetryDelay;
        while (true)
        {
            try
            {
                var head = await _store.ReadHeadAsync(stoppingToken);
                StreamId = head.StreamId;
                await _epochs.StartAsync(head, stoppingToken);
                MarkSynced();
                break;
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                _logger.LogWarning(e, "Reading the stream position failed; retrying in {Delay}", delay);
                await Task.Delay(delay, _time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetryDelay.Ticks));
            }
        }

        _ready.TrySetResult();
        _logger.LogInformation("Event hub ready at {Position}", Position);
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
                var (check, hinted) = TakeInputs(locals, checks);
                var before = Buffer;
                var headBefore = before.Head;
                try
                {
                    await DeliverAsync(check, locals, hinted, stoppingToken);
                }
                catch (Exception e) when (DatabaseFailures.IsFailure(e))
                {
                    // Nothing is lost: the next check reads on from the last delivered sequence.
                    _logger.LogWarning(e, "Reading committed events from PostgreSQL failed; retrying on the next check");
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Whatever else went wrong, the hub must live on: the next check starts again from the buffer's head.
                    _logger.LogError(e, "Delivering committed events failed; retrying on the next check");
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
                    _listeners.WakeAll();
                    if (Buffer.TryGet(Buffer.Head) is { } newest)
                    {
                        _metrics.ReachedHub(_time.GetUtcNow() - newest.CommittedAt);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Everything queued now, handled together: the local commits, the highest hint of the current epoch, and whether
    /// the database's head must be checked (asked for, or a hint of another epoch).
    /// </summary>
    private (bool Check, long Hinted) TakeInputs(List<LocalCommit> locals, List<TaskCompletionSource> checks)
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

        return (check, hinted);
    }

    /// <summary>The head check first (it may change the epoch), then local commits in sequence order, then hinted events.</summary>
    private async Task DeliverAsync(bool check, List<LocalCommit> locals, long hinted, CancellationToken cancellationToken)
    {
        if (check)
        {
            await SyncWithDatabaseAsync(cancellationToken);
        }

        foreach (var local in locals.OrderBy(l => l.Events.Count == 0 ? 0 : l.Events[0].Sequence))
        {
            await AcceptAsync(local, cancellationToken);
        }

        if (hinted > Buffer.Head)
        {
            await _epochs.ReadCommittedAsync(cancellationToken);
        }
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.CatchUpInterval, _time);
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
                await _epochs.ReadCommittedAsync(cancellationToken, upTo: sequence - 1);
            }

            if (ReferenceEquals(buffer, Buffer) && sequence == buffer.Head + 1)
            {
                _writer.Append(buffer, committed);
            }
        }
    }

    private async Task SyncWithDatabaseAsync(CancellationToken cancellationToken)
    {
        await _epochs.ResolveAsync(await _store.ReadHeadAsync(cancellationToken), cancellationToken);
        MarkSynced();
    }

    private void OnEpochBegan(long epoch)
    {
        EpochBegan?.Invoke(epoch);
        _listeners.WakeAll();
    }

    private void MarkSynced() => Volatile.Write(ref _lastSync, _time.GetUtcNow().UtcTicks);

    private abstract record HubInput;

    private sealed record LocalCommit(long Epoch, IReadOnlyList<StoredEvent> Events) : HubInput;

    private sealed record CommitHint(long Epoch, long Sequence) : HubInput;

    private sealed record HeadCheck(TaskCompletionSource? Done) : HubInput;
}
