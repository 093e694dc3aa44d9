namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) from the tree this replica holds, or why there is none:
/// beyond the tree (404), before it began, replaced by a later epoch or no longer stored (410), the tree starting over
/// or stopped (503).
/// </summary>
public sealed class TreeProofs(TreeBuilder tree, TreeReader reader)
{
    /// <summary>
    /// How long a request waits for this replica's tree to reach its size: a tree head another replica signed a moment
    /// ago may be a few events ahead of this one.
    /// </summary>
    public static readonly TimeSpan CatchUpWait = TimeSpan.FromSeconds(2);

    /// <param name="epoch">The epoch of the checkpoint that signed <paramref name="treeSize"/>, if the caller holds one.</param>
    public async Task<ProofAnswer<InclusionProof>> InclusionAsync(long sequence, long treeSize, long? epoch, CancellationToken cancellationToken)
    {
        var (view, refusal) = await ViewAsync(treeSize, epoch, cancellationToken);
        if (view is null)
        {
            return refusal!;
        }

        if (sequence <= view.History.StartsAfter)
        {
            return ProofRefusal.Gone($"The Merkle tree starts after sequence {view.History.StartsAfter} (the head when this database was " +
                "upgraded to it): earlier events have no leaf. The hash chain and its checkpoints still cover them (GET /api/kavach/events/verify).");
        }

        var index = sequence - 1;
        return await ProveAsync(view, [new LeafRange(index, index + 1), .. MerkleProofs.Inclusion(index, treeSize)],
            hashes => new InclusionProof(sequence, index, treeSize, hashes[0], hashes[1..]), cancellationToken);
    }

    /// <param name="fromEpoch">The epoch of the checkpoint that signed <paramref name="from"/>, if the caller holds one.</param>
    public async Task<ProofAnswer<ConsistencyProof>> ConsistencyAsync(long from, long to, long? fromEpoch, CancellationToken cancellationToken)
    {
        var (view, refusal) = await ViewAsync(to, null, cancellationToken);
        if (view is null || (refusal = Replaced(view, from, fromEpoch)) is not null)
        {
            return refusal!;
        }

        return await ProveAsync(view, MerkleProofs.Consistency(from, to), hashes => new ConsistencyProof(from, to, hashes), cancellationToken);
    }

    private async Task<ProofAnswer<T>> ProveAsync<T>(TreeView view, IReadOnlyList<LeafRange> ranges, Func<List<string>, T> answer,
        CancellationToken cancellationToken)
    {
        try
        {
            return answer([.. (await reader.HashesAsync(view, ranges, cancellationToken)).Select(Convert.ToHexStringLower)]);
        }
        catch (TreeGapException e)
        {
            return ProofRefusal.Gone($"{e.Message} This proof can no longer be made.");
        }
    }

    private async Task<(TreeView? View, ProofRefusal? Refusal)> ViewAsync(long size, long? epoch, CancellationToken cancellationToken)
    {
        var view = await tree.ViewAsync(size, CatchUpWait, cancellationToken);
        if (view is null)
        {
            return (null, tree.Status == TreeStatus.Failed
                ? ProofRefusal.Unavailable($"The Merkle tree on this replica stopped: {tree.Failure}")
                : ProofRefusal.Unavailable("The Merkle tree on this replica is starting over (a restart, or a new epoch); retry in a moment."));
        }

        if (view.Size < size)
        {
            return (null, ProofRefusal.NotFound($"The tree holds {view.Size} events on this replica; a tree of {size} does not exist (yet). " +
                "Ask for a tree size a checkpoint signed."));
        }

        return Replaced(view, size, epoch) is { } refusal ? (null, refusal) : (view, null);
    }

    /// <summary>A tree of <paramref name="size"/> events of <paramref name="epoch"/>'s history is not part of the current one.</summary>
    private static ProofRefusal? Replaced(TreeView view, long size, long? epoch)
    {
        if (epoch is not { } e)
        {
            return null;
        }

        if (!view.History.Knows(e))
        {
            return ProofRefusal.NotFound($"Epoch {e} is not one of this stream's (it is in epoch {view.History.Epoch}).");
        }

        var shared = view.History.ValidEnd(e);
        return size <= shared ? null
            : ProofRefusal.Gone($"Epoch {e}'s history was replaced after sequence {shared}: the database went back to an earlier state " +
                $"(a restore or a failover) and a later epoch went on from there. A tree of {size} events of epoch {e} is not part of " +
                $"epoch {view.History.Epoch}'s, and no proof can join them.");
    }
}

/// <summary>A proof, or why there is none.</summary>
public sealed class ProofAnswer<T>
{
    private ProofAnswer(T? proof, ProofRefusal? refusal)
    {
        Proof = proof;
        Refusal = refusal;
    }

    public T? Proof { get; }

    public ProofRefusal? Refusal { get; }

    public static implicit operator ProofAnswer<T>(T proof) => new(proof, null);

    public static implicit operator ProofAnswer<T>(ProofRefusal refusal) => new(default, refusal);
}

/// <summary>Why a proof cannot be given: its HTTP status and words for the problem body.</summary>
public sealed record ProofRefusal(int Status, string Title, string Detail)
{
    public static ProofRefusal NotFound(string detail) => new(StatusCodes.Status404NotFound, "No such tree", detail);

    public static ProofRefusal Gone(string detail) => new(StatusCodes.Status410Gone, "Cannot be proven", detail);

    public static ProofRefusal Unavailable(string detail) => new(StatusCodes.Status503ServiceUnavailable, "Merkle tree unavailable", detail);
}

/// <summary>An RFC 9162 inclusion proof (PATH), hashes as lowercase hex, lowest first.</summary>
public sealed record InclusionProof(long Sequence, long LeafIndex, long TreeSize, string LeafHash, IReadOnlyList<string> Hashes);

/// <summary>An RFC 9162 consistency proof (PROOF), hashes as lowercase hex.</summary>
public sealed record ConsistencyProof(long From, long To, IReadOnlyList<string> Hashes);
