namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// 256 leaves of the tree, or the first <see cref="LeafCount"/> of them: the unit the tree is stored in
/// (<c>kavach_merkle_blocks</c>). A full block also holds the perfect subtrees it completes at level 8 and above — its
/// own root, then its parent's while it is a right child, and so on — so no proof ever needs more than two blocks'
/// leaves. <see cref="Leaves"/> is null when a reader asked only for <see cref="Nodes"/>.
/// </summary>
public sealed class TreeBlock(long index, long epoch, int leafCount, byte[]? leaves, byte[] nodes)
{
    public const int Height = 8;
    public const int Capacity = 1 << Height;

    public long Index { get; } = index;

    /// <summary>The epoch whose history it was built in (see <see cref="TreeHistory"/>).</summary>
    public long Epoch { get; } = epoch;

    public int LeafCount { get; } = leafCount;

    /// <summary><see cref="LeafCount"/> leaf hashes, 32 bytes each.</summary>
    public byte[]? Leaves { get; } = leaves;

    /// <summary>The perfect subtrees this block completes, level 8 first, 32 bytes each; empty unless the block is full.</summary>
    public byte[] Nodes { get; } = nodes;

    public long Start => Index * Capacity;

    public long End => Start + LeafCount;

    public bool IsFull => LeafCount == Capacity;

    /// <summary>The block that holds leaf <paramref name="leaf"/>.</summary>
    public static long Of(long leaf) => leaf >> Height;

    /// <summary>The full block that completes a node at level 8 or above: the one its last leaf is in.</summary>
    public static long Completing(TreeNode node) => Of(node.End - 1);

    /// <summary>A node at level 8 or above that this block completes; null when it completes no such node.</summary>
    public byte[]? Completed(TreeNode node)
    {
        var offset = (node.Level - Height) * MerkleHash.Size;
        return node.Level >= Height && node.End == End && IsFull && offset + MerkleHash.Size <= Nodes.Length
            ? Nodes.AsSpan(offset, MerkleHash.Size).ToArray()
            : null;
    }

    /// <summary>A node below level 8 whose leaves this block holds, hashed up from them.</summary>
    public byte[] Within(TreeNode node)
    {
        var first = (int)(node.Start - Start);
        var count = 1 << node.Level;
        if (Leaves is null || node.Level >= Height || first < 0 || first + count > LeafCount)
        {
            throw new ArgumentOutOfRangeException(nameof(node), node, $"Block {Index} ({LeafCount} leaves) does not hold it.");
        }

        var hashes = Leaves.AsSpan(first * MerkleHash.Size, count * MerkleHash.Size).ToArray();
        for (var width = count; width > 1; width /= 2)
        {
            for (var i = 0; i < width / 2; i++)
            {
                MerkleHash.Node(Hash(hashes, 2 * i), Hash(hashes, 2 * i + 1), Hash(hashes, i));
            }
        }

        return hashes[..MerkleHash.Size];
    }

    /// <summary>The same rows' hashes: what two replicas that built this block must agree on.</summary>
    public bool SameHashesAs(TreeBlock other) =>
        Index == other.Index && LeafCount == other.LeafCount && Nodes.AsSpan().SequenceEqual(other.Nodes)
        && (Leaves ?? []).AsSpan().SequenceEqual(other.Leaves ?? []);

    private static Span<byte> Hash(byte[] hashes, int i) => hashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size);
}
