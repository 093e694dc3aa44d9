using System.Collections.Immutable;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// Which epoch the hub delivers, decided by comparing the database's head with what it delivered: it follows an epoch
/// another replica began, begins one when the database's sequence went backwards or holds other events where this
/// hub delivered, and otherwise reads on. It keeps the epochs, so a cursor of an earlier epoch learns how much of its
/// history the current one shares. Runs on the hub's loop; <see cref="SharedHistoryEnd"/> is read by any stream.
/// </summary>
internal sealed class EpochResolver(
    ICommittedStream store,
    LiveBufferWriter writer,
    StreamMetrics metrics,
    Action<long> began,
    ILogger logger)
{
    private ImmutableArray<EpochStart> _epochs = [];
    private long _highestEpochSeen;

    /// <summary>The hub starts at <paramref name="head"/>: the epochs as they are, and a buffer at the head.</summary>
    public async Task StartAsync(StreamHead head, CancellationToken cancellationToken)
    {
        _epochs = [.. await store.ReadEpochsAsync(cancellationToken)];
        _highestEpochSeen = head.Epoch;
        writer.Restart(head.Epoch, head.Last);
    }

    /// <inheritdoc cref="EventHub.SharedHistoryEnd"/>
    public long? SharedHistoryEnd(long epoch, out bool unknownEpoch)
    {
        var current = writer.Buffer.Epoch;
        unknownEpoch = epoch > current;
        if (epoch >= current)
        {
            return null;
        }

        var later = _epochs.Where(e => e.Epoch > epoch && e.Epoch <= current).ToList();
        return later.Count == 0 ? 0 : later.Min(e => e.StartsAfter);
    }

    /// <summary>
    /// Compares the database's head with what the hub delivered: follows an epoch another replica began, begins one
    /// when the sequence went backwards, and otherwise reads what was committed since.
    /// </summary>
    public async Task ResolveAsync(StreamHead head, CancellationToken cancellationToken)
    {
        var buffer = writer.Buffer;
        if (head.Epoch > buffer.Epoch)
        {
            await FollowAsync(head, cancellationToken);
        }
        else if (head.Epoch < buffer.Epoch || head.Last < buffer.Head)
        {
            await BeginAsync(head, head.Epoch < buffer.Epoch ? "epoch-behind" : "sequence-regression", cancellationToken);
        }
        else if (!await writer.TryReadCommittedAsync(upTo: null, verify: head.Oldest <= buffer.Head, cancellationToken))
        {
            await BeginAsync(head, "history-replaced", cancellationToken);
        }
        else
        {
            // What retention removed from PostgreSQL is not served from memory either (within one check interval).
            writer.Buffer.EvictBefore(head.FirstKept);
        }
    }

    /// <summary>Appends what PostgreSQL holds after the buffer's head (up to <paramref name="upTo"/>).</summary>
    public async Task ReadCommittedAsync(CancellationToken cancellationToken, long? upTo = null)
    {
        if (!await writer.TryReadCommittedAsync(upTo, verify: true, cancellationToken))
        {
            // The event delivered at the head is not where it was: pruned, or the history changed. The head decides.
            await ResolveAsync(await store.ReadHeadAsync(cancellationToken), cancellationToken);
        }
    }

    /// <summary>
    /// The database is behind (or holds other events at) sequences this hub delivered. Finds the last sequence both
    /// histories share, begins a new epoch after it, and moves every stream there.
    /// </summary>
    private async Task BeginAsync(StreamHead head, string reason, CancellationToken cancellationToken)
    {
        var buffer = writer.Buffer;
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
            new StreamPosition(head.Epoch, head.Last), new StreamPosition(buffer.Epoch, buffer.Head), reason, shared);
        await store.BeginEpochAsync(head.Epoch, Math.Max(_highestEpochSeen, buffer.Epoch) + 1, shared, reason, cancellationToken);
        var begun = await store.ReadHeadAsync(cancellationToken);
        if (begun.Epoch > buffer.Epoch)
        {
            await FollowAsync(begun, cancellationToken);
        }
        else
        {
            logger.LogWarning("No new epoch after {Position} yet (the database is at epoch {Epoch}); the next check tries again",
                new StreamPosition(buffer.Epoch, buffer.Head), begun.Epoch);
        }
    }

    /// <summary>Moves delivery to the database's (newer) epoch, where it shares history with the one before.</summary>
    private async Task FollowAsync(StreamHead head, CancellationToken cancellationToken)
    {
        _epochs = [.. await store.ReadEpochsAsync(cancellationToken)];
        _highestEpochSeen = Math.Max(_highestEpochSeen, head.Epoch);
        writer.Restart(head.Epoch, head.EpochStartsAfter);
        metrics.EpochBegan();
        logger.LogWarning("Epoch {Epoch} began after sequence {StartsAfter}: every stream resynchronizes", head.Epoch, head.EpochStartsAfter);
        began(head.Epoch);
        await ReadCommittedAsync(cancellationToken);
    }
}
