using Kavach.StreamApi.Integrity.Witness;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// Where the signer's trust starts: the newest checkpoint it can trust — read from the witness when there is one, else
/// from PostgreSQL, and signed with a trusted key either way — still part of the current history. From there it
/// recomputes the chain over what PostgreSQL stores up to where delivery stands, and anchors the
/// <see cref="DeliveredChain"/> there. A stored event that does not follow, or a trusted checkpoint the stored chain no
/// longer matches, means the chain was rewritten: the anchor says so, and the signer refuses.
/// </summary>
public sealed class ChainAnchor(ChainStore store, DeliveredChain delivered, TrustedKeys keys, ICheckpointWitness witness,
    ILogger<ChainAnchor> logger)
{
    private const int PageSize = 2000;

    /// <summary>Null when anchored (or there is nothing to anchor yet); otherwise why the stored chain cannot be trusted.</summary>
    public async Task<string?> AnchorAsync(CancellationToken cancellationToken)
    {
        await using var snapshot = await store.OpenSnapshotAsync(cancellationToken);
        var head = await snapshot.ReadHeadAsync(cancellationToken);
        var epochs = await snapshot.ReadEpochsAsync(cancellationToken);
        var target = Math.Min(head.Sequence, (delivered.FirstWaiting ?? head.Sequence + 1) - 1);
        if (target == 0)
        {
            delivered.Anchor(0, ChainHash.Genesis.ToArray(), epochs); // a new stream: the chain starts from the zero hash
            return null;
        }

        if (head.Hash is null)
        {
            return null; // nothing chained yet (a database from before the chain)
        }

        var start = await TrustedStartAsync(snapshot, head.StreamId, epochs, target, cancellationToken);
        if (start.Broken is not null)
        {
            return start.Broken;
        }

        var previous = start.Hash!;
        for (var after = start.Sequence; after < target;)
        {
            var rows = await snapshot.ReadRowsAsync(after, target, PageSize, cancellationToken);
            if (rows.Count == 0 || rows[0].Sequence != after + 1)
            {
                return $"Event {after + 1} is not stored, but the chain this replica trusts (from #{start.Sequence}) continues through it.";
            }

            foreach (var row in rows)
            {
                if (row.Sequence != after + 1)
                {
                    return $"Event {after + 1} is not stored, but the chain this replica trusts continues through it.";
                }

                if (row.Hash is null)
                {
                    return $"Event {row.Sequence} has no hash, but the chain began before it.";
                }

                var hash = ChainHash.Link(previous, ChainVerifier.EpochOf(epochs, row.Sequence), ChainHash.ServedJson(row.Body, row.Sequence));
                if (!hash.AsSpan().SequenceEqual(row.Hash))
                {
                    return $"Event {row.Sequence} does not follow from the chain this replica trusts (from #{start.Sequence}, {start.Source}): " +
                        "the stored chain was rewritten at or before it.";
                }

                previous = hash;
                after = row.Sequence;
            }
        }

        if (!delivered.Anchor(target, previous, epochs))
        {
            logger.LogDebug("Delivery moved on while anchoring at {Target}; anchoring again", target);
        }

        return null;
    }

    private sealed record Start(long Sequence, byte[]? Hash, string Source, string? Broken = null);

    private async Task<Start> TrustedStartAsync(ChainSnapshot snapshot, Guid streamId, List<Persistence.EpochStart> epochs, long target,
        CancellationToken cancellationToken)
    {
        keys.Listed(await store.ReadKeysAsync(cancellationToken));
        var candidates = witness.IsConfigured
            ? await WitnessedAsync(streamId, cancellationToken)
            : await snapshot.ReadCheckpointsAsync(streamId, 0, target, cancellationToken);
        var source = witness.IsConfigured ? "witnessed" : "stored";
        foreach (var checkpoint in candidates.Where(c => c.Sequence <= target).OrderByDescending(c => (c.Epoch, c.Sequence)))
        {
            // A checkpoint of a history an epoch has since replaced (a restore) is no longer this chain's.
            if (!keys.Verifies(checkpoint) || !checkpoint.IsCurrentIn(epochs))
            {
                continue;
            }

            var row = (await snapshot.ReadRowsAsync(checkpoint.Sequence - 1, checkpoint.Sequence, 1, cancellationToken)).FirstOrDefault();
            if (row is null)
            {
                continue; // pruned: an older trusted point will not be stored either, and the anchor decides below
            }

            if (row.Hash is null || !row.Hash.AsSpan().SequenceEqual(checkpoint.Hash))
            {
                return new Start(checkpoint.Sequence, null, source,
                    $"The stored chain at #{checkpoint.Sequence} differs from the {source} checkpoint signed at {checkpoint.ToView().SignedAt}: " +
                    "events at or before it were changed and their hashes rewritten.");
            }

            return new Start(checkpoint.Sequence, checkpoint.Hash, $"{source} checkpoint #{checkpoint.Sequence}");
        }

        // No trusted checkpoint covers what is stored (a new stream, or the first start with pinned keys): the chain is
        // trusted as first seen, and the first checkpoint signed from here on anchors every later start.
        var first = await snapshot.ReadFirstAboveAsync(0, cancellationToken) ?? target;
        var from = (await snapshot.ReadRowsAsync(first - 1, target, 1, cancellationToken)).FirstOrDefault();
        logger.LogWarning("No checkpoint signed by a trusted key covers the stored chain: trusting it as first seen up to #{Target}", target);
        return from?.Hash is { } hash ? new Start(from.Sequence, hash, "first seen") : new Start(target, null, "first seen", "The stored chain has no hash to start from.");
    }

    private async Task<List<SignedCheckpoint>> WitnessedAsync(Guid streamId, CancellationToken cancellationToken)
    {
        var witnessed = new List<SignedCheckpoint>();
        await foreach (var checkpoint in witness.ReadAsync(streamId, 0, 0, cancellationToken))
        {
            witnessed.Add(checkpoint);
        }

        return witnessed;
    }
}
