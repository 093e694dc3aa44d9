using System.Threading.Channels;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// Builds the Merkle tree on every replica from the events its hub delivers, in order: the hub hashes each leaf on its
/// loop and hands it over; this loop appends it to the <see cref="TreeState"/> (O(1) amortized) and full blocks go to
/// PostgreSQL from another (any replica writes them; the first write stores, the others compare). When delivery
/// (re)starts — at start, a new epoch, rows missing — it starts over from storage (<see cref="TreeRecovery"/>) and reads
/// the events after that; an event it was not handed (the queue was full) it reads from PostgreSQL too. Until it has
/// caught up, and after it found the stored tree contradicting what it delivered or signed, it gives no tree heads.
/// </summary>
public sealed class TreeBuilder(
    ITreeStore store,
    TreeRecovery recovery,
    TreeReader reader,
    TreeMetrics metrics,
    IOptions<StreamOptions> streamOptions,
    TimeProvider time,
    ILogger<TreeBuilder> logger) : BackgroundService, ITreeHeads, IDeliveryObserver
{
    private const int QueueLimit = 100_000;
    private const int ReadPage = 1000;
    private const int WriteBatch = 32;
    private const int GatherBlocks = 8;
    private static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MissingEventsRetry = TimeSpan.FromSeconds(5);

    private readonly Channel<Input> _inputs = Channel.CreateUnbounded<Input>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _toStore = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TreeState _state = new(time);

    // The block being filled is stored when some of its leaves have waited this long, well before retention can
    // remove their events (a replica that starts later rebuilds it from there).
    private readonly TimeSpan _storeBuildingAfter = TimeSpan.FromTicks(Math.Clamp(streamOptions.Value.Retention.Ticks / 4,
        TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(10).Ticks));

    private int _queued;
    private long _restarts;
    private volatile TreeStatus _status = TreeStatus.Starting;
    private volatile string? _failure;
    private bool _missingEvents;
    private long _failedAt;
    private TaskCompletionSource _grown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TreeStatus Status => _status;

    /// <summary>Why the tree stopped (<see cref="TreeStatus.Failed"/>).</summary>
    public string? Failure => _failure;

    public void Restarted(long epoch, long after) =>
        _inputs.Writer.TryWrite(new Restart(epoch, after, Interlocked.Increment(ref _restarts)));

    public void Delivered(long epoch, StoredEvent committed)
    {
        if (Interlocked.Increment(ref _queued) > QueueLimit)
        {
            Interlocked.Decrement(ref _queued); // dropped: a gap this loop reads from PostgreSQL
            return;
        }

        var leaf = new byte[MerkleHash.Size];
        MerkleHash.Event(committed, leaf);
        _inputs.Writer.TryWrite(new Leaf(epoch, committed.Sequence, leaf));
    }

    /// <summary>
    /// The root over the first <paramref name="size"/> leaves of the history the database is in now; null while the tree
    /// is not that far in it (behind, recovering, in another epoch) or has stopped.
    /// </summary>
    public async Task<byte[]?> RootAtAsync(long size, CancellationToken cancellationToken)
    {
        if (View() is not { } view || size > view.Size || size < 0
            || await store.ReadEpochAsync(cancellationToken) != view.History.Epoch)
        {
            return null;
        }

        return await reader.RootAsync(view, size, cancellationToken);
    }

    /// <summary>What the tree holds now; null until it has caught up, or when it stopped.</summary>
    public TreeView? View() => _status == TreeStatus.Ready ? _state.Snapshot() : null;

    /// <summary>What the tree holds once it has at least <paramref name="size"/> leaves; waits up to <paramref name="wait"/>, then whatever it holds.</summary>
    public async Task<TreeView?> ViewAsync(long size, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp();
        while (true)
        {
            var grown = Volatile.Read(ref _grown).Task;
            if (View() is { } view && view.Size >= size)
            {
                return view;
            }

            var left = wait - time.GetElapsedTime(deadline);
            if (left <= TimeSpan.Zero)
            {
                return View();
            }

            try
            {
                await grown.WaitAsync(left, time, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(BuildAsync(stoppingToken), StoreAsync(stoppingToken));

    private async Task BuildAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _inputs.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_inputs.Reader.TryRead(out var input))
                {
                    if (input is Leaf)
                    {
                        Interlocked.Decrement(ref _queued);
                    }

                    await HandleAsync(input, stoppingToken);
                }

                Interlocked.Exchange(ref _grown, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                _toStore.Writer.TryWrite(true);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One input, again after <see cref="RetryDelay"/> while PostgreSQL fails, until a newer restart makes it moot.</summary>
    private async Task HandleAsync(Input input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var restarts = Volatile.Read(ref _restarts);
            if (input is Restart restart && restart.Number != restarts)
            {
                return; // a newer one is queued
            }

            try
            {
                await (input switch
                {
                    Restart r => RecoverAsync(r, cancellationToken),
                    Leaf l => AcceptAsync(l, cancellationToken),
                    _ => Task.CompletedTask,
                });
                return;
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                logger.LogWarning(e, "Building the Merkle tree: PostgreSQL failed; retrying in {Delay}", RetryDelay);
                await Task.Delay(RetryDelay, time, cancellationToken);
                if (input is Leaf && Volatile.Read(ref _restarts) != restarts)
                {
                    return;
                }
            }
            catch (TreeContradictionException e)
            {
                Stop(e.Kind, e.Message);
                return;
            }
        }
    }

    private async Task RecoverAsync(Restart restart, CancellationToken cancellationToken)
    {
        _status = TreeStatus.Recovering;
        var history = await store.ReadHistoryAsync(cancellationToken);
        history = history.Epoch == restart.Epoch ? history : history.In(restart.Epoch);
        var start = await recovery.StartAsync(history, restart.After, cancellationToken);
        _state.Reset(history, start);
        _failure = null;
        _missingEvents = false;
        await CatchUpAsync(restart.After, cancellationToken);
        if (_status == TreeStatus.Recovering)
        {
            await recovery.CheckAsync(_state.Snapshot(), cancellationToken);
            _status = TreeStatus.Ready;
            logger.LogInformation("Merkle tree at {Size} leaves in epoch {Epoch} (from storage: {Stored}; the tree starts after sequence {StartsAfter})",
                _state.Size, history.Epoch, start.Edge.Size, history.StartsAfter);
        }
    }

    private async Task AcceptAsync(Leaf leaf, CancellationToken cancellationToken)
    {
        if (_status == TreeStatus.Failed && _missingEvents && leaf.Epoch == _state.History.Epoch
            && time.GetElapsedTime(_failedAt) >= MissingEventsRetry)
        {
            // Events it needed were missing: they may be back (rows deleted for a moment, a restore), or still gone, and
            // then it stops again. Whatever it reads back is checked against the newest signed tree head.
            logger.LogInformation("The Merkle tree tries again from storage up to sequence {Sequence}", leaf.Sequence - 1);
            await RecoverAsync(new Restart(leaf.Epoch, leaf.Sequence - 1, Volatile.Read(ref _restarts)), cancellationToken);
        }

        if (_status != TreeStatus.Ready || leaf.Epoch != _state.History.Epoch || leaf.Sequence <= _state.Size)
        {
            return;
        }

        if (leaf.Sequence > _state.Size + 1)
        {
            await CatchUpAsync(leaf.Sequence - 1, cancellationToken);
        }

        if (_status == TreeStatus.Ready && leaf.Sequence == _state.Size + 1)
        {
            _state.Append(leaf.Hash);
        }
    }

    /// <summary>Appends the stored events up to <paramref name="upTo"/>; stops the tree if one is missing.</summary>
    private async Task CatchUpAsync(long upTo, CancellationToken cancellationToken)
    {
        while (_status != TreeStatus.Failed && _state.Size < upTo)
        {
            var size = _state.Size;
            var page = await store.ReadLeavesAsync(size, upTo, ReadPage, cancellationToken);
            var contiguous = page.TakeWhile((leaf, i) => leaf.Sequence == size + 1 + i).Select(leaf => leaf.Leaf).ToList();
            _state.Append(contiguous);
            if (contiguous.Count == 0 || contiguous.Count < page.Count)
            {
                Stop("missing_events", $"PostgreSQL has no event at sequence {_state.Size + 1}, which the Merkle tree needs next (it was asked " +
                    $"to reach {upTo}): deleted, or removed by retention before the tree was stored.");
            }
        }
    }

    /// <summary>Writes full blocks as they come, and the block being filled when its leaves have waited long enough.</summary>
    private async Task StoreAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(_storeBuildingAfter.Ticks / 2), time);
        var ticking = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var signalled = _toStore.Reader.WaitToReadAsync(stoppingToken).AsTask();
                if (await Task.WhenAny(signalled, ticking) == ticking)
                {
                    await ticking;
                    ticking = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }
                else
                {
                    _toStore.Reader.TryRead(out _);
                    if (_state.Unstored(GatherBlocks).Count < GatherBlocks)
                    {
                        // Gather a few blocks per statement: one statement per block cost PostgreSQL more in statement
                        // overhead than the rows themselves. Wall-clock time on purpose: a batching pause, not a rule.
                        await Task.Delay(GatherDelay, stoppingToken);
                    }
                }

                try
                {
                    await StoreWhatIsDueAsync(stoppingToken);
                }
                catch (Exception e) when (DatabaseFailures.IsFailure(e))
                {
                    logger.LogWarning(e, "Storing Merkle tree blocks failed; retrying in {Delay}", RetryDelay);
                    await Task.Delay(RetryDelay, time, stoppingToken);
                    _toStore.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task StoreWhatIsDueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            List<TreeBlock> blocks = [.. _state.Unstored(WriteBatch)];
            if (blocks.Count < WriteBatch && _status == TreeStatus.Ready && _state.BuildingDue(_storeBuildingAfter) is { } building)
            {
                blocks.Add(building);
            }

            if (blocks.Count == 0)
            {
                return;
            }

            foreach (var stored in await store.WriteAsync(blocks, cancellationToken))
            {
                metrics.Contradiction("block");
                logger.LogError("The Merkle tree block {Block} stored for epoch {Epoch} ({Count} leaves) has other hashes than the one this replica " +
                    "built from the events it delivered. Kept as stored, not overwritten. Either a database writer changed it, or the database went " +
                    "back to an earlier state that no replica noticed yet (a new epoch then follows within seconds).", stored.Index, stored.Epoch, stored.LeafCount);
            }

            metrics.Written(blocks.Count);
            _state.Stored(blocks);
            if (blocks.Count < WriteBatch)
            {
                return;
            }
        }
    }

    private void Stop(string kind, string reason)
    {
        _failure = reason;
        _missingEvents = kind == "missing_events";
        _failedAt = time.GetTimestamp();
        _status = TreeStatus.Failed;
        metrics.Contradiction(kind);
        logger.LogError("The Merkle tree stopped: {Reason} Proofs and tree heads are refused until delivery restarts (a restart of this replica, " +
            "or a new epoch){Retry}.", reason, _missingEvents ? $", or, as events arrive, every {MissingEventsRetry.TotalSeconds:0} s until the missing ones are back" : "");
    }

    private abstract record Input;

    private sealed record Restart(long Epoch, long After, long Number) : Input;

    private sealed record Leaf(long Epoch, long Sequence, byte[] Hash) : Input;
}

public enum TreeStatus
{
    /// <summary>The hub has not started delivering yet.</summary>
    Starting,

    /// <summary>Starting over from storage and catching up with the events after it.</summary>
    Recovering,

    Ready,

    /// <summary>The stored tree contradicts what was delivered or signed, or events it needs are missing.</summary>
    Failed,
}
