using System.Numerics;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// The right edge of a tree of <see cref="Size"/> leaves: the root of one perfect subtree per bit set in the size
/// (<see cref="LeafRange.Nodes"/> of <c>[0, Size)</c>). Appending a leaf merges equal-sized subtrees, as adding one
/// carries bits; the tree's root is their fold. O(log n) memory, one node hash per leaf on average.
/// </summary>
public sealed class CompactRange
{
    // Slot L holds the subtree of 2^L leaves when bit L of Size is set.
    private readonly byte[] _slots = new byte[(TreeNode.MaxLevel + 1) * MerkleHash.Size];

    public long Size { get; private set; }

    /// <summary>
    /// Appends a leaf. The perfect subtrees it completes (levels 1 and up, as many as the return value) are written to
    /// <paramref name="completed"/>, level L at <c>(L - 1) * 32</c>: the builder stores those at and above level 8.
    /// </summary>
    public int Append(ReadOnlySpan<byte> leaf, Span<byte> completed)
    {
        Span<byte> carry = stackalloc byte[MerkleHash.Size];
        leaf.CopyTo(carry);
        var level = 0;
        while ((Size & (1L << level)) != 0)
        {
            var merged = completed.Slice(level * MerkleHash.Size, MerkleHash.Size);
            MerkleHash.Node(Slot(level), carry, merged);
            merged.CopyTo(carry);
            level++;
        }

        carry.CopyTo(Slot(level));
        Size++;
        return level;
    }

    /// <summary>The root of the tree so far (RFC 9162 MTH of its leaves).</summary>
    public byte[] Root()
    {
        if (Size == 0)
        {
            return MerkleHash.Empty();
        }

        var root = new byte[MerkleHash.Size];
        var level = BitOperations.TrailingZeroCount(Size);
        Slot(level).CopyTo(root);
        for (level++; level <= TreeNode.MaxLevel; level++)
        {
            if ((Size & (1L << level)) != 0)
            {
                MerkleHash.Node(Slot(level), root, root);
            }
        }

        return root;
    }

    /// <summary>The compact range of a tree of <paramref name="size"/> leaves from its perfect subtrees, largest first.</summary>
    public static CompactRange From(long size, IReadOnlyList<byte[]> nodes)
    {
        var range = new CompactRange { Size = size };
        var levels = new LeafRange(0, size).Nodes();
        if (levels.Length != nodes.Count)
        {
            throw new ArgumentException($"A tree of {size} leaves has {levels.Length} perfect subtrees on its edge, not {nodes.Count}.", nameof(nodes));
        }

        for (var i = 0; i < levels.Length; i++)
        {
            nodes[i].CopyTo(range.Slot(levels[i].Level));
        }

        return range;
    }

    /// <summary>
    /// MTH of a range from its perfect subtrees, largest first (<see cref="LeafRange.Nodes"/>): folded from the right,
    /// <c>H(n0, H(n1, … H(nk-1, nk)))</c>.
    /// </summary>
    public static byte[] Fold(IReadOnlyList<byte[]> nodes)
    {
        var root = (byte[])nodes[^1].Clone();
        for (var i = nodes.Count - 2; i >= 0; i--)
        {
            MerkleHash.Node(nodes[i], root, root);
        }

        return root;
    }

    private Span<byte> Slot(int level) => _slots.AsSpan(level * MerkleHash.Size, MerkleHash.Size);
}
