namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// The hash of any range of the tree (<see cref="MerkleProofs"/>' ranges, a root at an older size) as a
/// <see cref="TreeView"/> holds it: absent before the tree began, from memory what may not be stored yet, and the rest
/// from PostgreSQL in one read — at most the nodes of one block per level, and the leaves of two blocks.
/// </summary>
public sealed class TreeReader(ITreeStore store)
{
    /// <summary>MTH of each range, in order.</summary>
    /// <exception cref="TreeGapException">What a range needs is neither in memory nor stored any more.</exception>
    public async Task<List<byte[]>> HashesAsync(TreeView view, IReadOnlyList<LeafRange> ranges, CancellationToken cancellationToken)
    {
        var perRange = ranges.Select(r => r.Nodes()).ToList();
        var hashes = await NodesAsync(view, [.. perRange.SelectMany(n => n).Distinct()], cancellationToken);
        return [.. perRange.Select(nodes => CompactRange.Fold([.. nodes.Select(n => hashes[n])]))];
    }

    /// <summary>The root of the tree's first <paramref name="size"/> leaves.</summary>
    public async Task<byte[]> RootAsync(TreeView view, long size, CancellationToken cancellationToken) =>
        size == view.Size && view.Root.Length > 0 ? view.Root
        : size == 0 ? MerkleHash.Empty()
        : (await HashesAsync(view, [new LeafRange(0, size)], cancellationToken))[0];

    public async Task<Dictionary<TreeNode, byte[]>> NodesAsync(TreeView view, IReadOnlyCollection<TreeNode> nodes, CancellationToken cancellationToken)
    {
        var hashes = new Dictionary<TreeNode, byte[]>();
        var wants = new Dictionary<long, BlockWant>();
        foreach (var node in nodes)
        {
            if (node.End <= view.History.StartsAfter)
            {
                hashes[node] = MerkleHash.AbsentSubtree(node.Level).ToArray();
            }
            else if (FromMemory(view, node) is { } hash)
            {
                hashes[node] = hash;
            }
            else
            {
                var want = Want(node);
                wants[want.Block] = wants.TryGetValue(want.Block, out var other)
                    ? new BlockWant(want.Block, Math.Max(want.MinLeaves, other.MinLeaves), want.Leaves || other.Leaves)
                    : want;
            }
        }

        if (wants.Count == 0)
        {
            return hashes;
        }

        var stored = (await store.ReadBlocksAsync(wants.Values, view.History, cancellationToken)).ToDictionary(b => b.Index);
        foreach (var node in nodes.Where(n => !hashes.ContainsKey(n)))
        {
            hashes[node] = (stored.TryGetValue(Want(node).Block, out var block) ? From(block, node) : null) ?? throw new TreeGapException(node);
        }

        return hashes;
    }

    private static byte[]? FromMemory(TreeView view, TreeNode node)
    {
        var blockIndex = node.Level >= TreeBlock.Height ? TreeBlock.Completing(node) : TreeBlock.Of(node.Start);
        if (view.Building is { } building && building.Index == blockIndex && From(building, node) is { } hash)
        {
            return hash;
        }

        return view.Pending.Where(b => b.Index == blockIndex && view.History.Holds(b.Epoch, b.End)).Select(b => From(b, node)).FirstOrDefault(h => h is not null);
    }

    /// <summary>The node from a block that holds it: a node it completes, or one within its leaves.</summary>
    private static byte[]? From(TreeBlock block, TreeNode node) =>
        node.Level >= TreeBlock.Height ? block.Completed(node)
        : block.Leaves is not null && node.Start >= block.Start && node.End <= block.End ? block.Within(node)
        : null;

    /// <summary>Nodes at level 8 and above are read from the full block that completes them; lower ones from their block's leaves.</summary>
    private static BlockWant Want(TreeNode node) => node.Level >= TreeBlock.Height
        ? new BlockWant(TreeBlock.Completing(node), TreeBlock.Capacity, Leaves: false)
        : new BlockWant(TreeBlock.Of(node.Start), (int)(node.End - TreeBlock.Of(node.Start) * TreeBlock.Capacity), Leaves: true);
}

/// <summary>A part of the tree a proof needs is neither in memory nor stored (pruned, lost, or never built in this history).</summary>
public sealed class TreeGapException(TreeNode node)
    : Exception($"The tree's leaves {node.Start}–{node.End - 1} (sequences {node.Start + 1}–{node.End}) are not stored in this history.")
{
    public TreeNode Node { get; } = node;
}
