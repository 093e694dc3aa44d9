namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// Where the tree starts over after a restart, a new epoch or rows missing from the database: from storage, never by
/// reading every event — the stored block of the history that reaches furthest up to where the hub restarts, with the
/// perfect subtrees before it (O(log n) rows). What it starts from must reproduce the newest tree head signed within
/// it: a stored tree rewritten below a signed head is refused, not built on.
/// </summary>
public sealed class TreeRecovery(ITreeStore store, TreeReader reader, ILogger<TreeRecovery> logger)
{
    public async Task<TreeStart> StartAsync(TreeHistory history, long upTo, CancellationToken cancellationToken)
    {
        var beforeTree = Math.Min(history.StartsAfter, upTo);
        var row = await store.ReadNewestAsync(upTo, history, cancellationToken);
        var start = row is not null && row.End > beforeTree ? await FromAsync(history, row, cancellationToken) : null;
        return start ?? TreeStart.Absent(beforeTree);
    }

    /// <exception cref="TreeContradictionException">The tree does not reproduce the newest tree head signed within it.</exception>
    public async Task CheckAsync(TreeView view, CancellationToken cancellationToken)
    {
        if (await store.ReadSignedHeadAsync(view.Size, view.History, cancellationToken) is not { } head)
        {
            return;
        }

        byte[] root;
        try
        {
            root = await reader.RootAsync(view, head.TreeSize, cancellationToken);
        }
        catch (TreeGapException e)
        {
            throw new TreeContradictionException("signed_head",
                $"The tree head signed at {head.Epoch}:{head.Sequence} (size {head.TreeSize}) cannot be reproduced from storage: {e.Message}");
        }

        if (!root.AsSpan().SequenceEqual(head.Root))
        {
            throw new TreeContradictionException("signed_head",
                $"The stored Merkle tree's root at size {head.TreeSize} is {Convert.ToHexStringLower(root)}, but the checkpoint signed at " +
                $"{head.Epoch}:{head.Sequence} says {Convert.ToHexStringLower(head.Root)}: the stored tree was changed after it was signed.");
        }
    }

    private async Task<TreeStart?> FromAsync(TreeHistory history, TreeBlock row, CancellationToken cancellationToken)
    {
        var edge = new LeafRange(0, row.End).Nodes();
        try
        {
            var hashes = await reader.NodesAsync(TreeView.Stored(history, row.End, [row]), edge, cancellationToken);
            return new TreeStart(CompactRange.From(row.End, [.. edge.Select(n => hashes[n])]), row.IsFull ? [] : row.Leaves!);
        }
        catch (TreeGapException e)
        {
            logger.LogWarning("The stored Merkle tree has a gap before block {Block} ({Gap}); rebuilding it from the events after sequence {StartsAfter}",
                row.Index, e.Message, history.StartsAfter);
            return null;
        }
    }
}

/// <summary>The stored tree disagrees with what was delivered or signed; <see cref="Kind"/> names how (the metric's tag).</summary>
public sealed class TreeContradictionException(string kind, string message) : Exception(message)
{
    public string Kind { get; } = kind;
}
