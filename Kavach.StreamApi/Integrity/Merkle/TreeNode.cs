using System.Numerics;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// A perfect subtree of the tree: the 2^<see cref="Level"/> leaves from <see cref="Start"/>, which is a multiple of that
/// count. Level 0 is a leaf. Every hash a proof or a root is made of is one of these, or a fold of a few of them.
/// </summary>
public readonly record struct TreeNode(int Level, long Index)
{
    /// <summary>Leaf indexes are below 2^63, so no perfect subtree is higher than this.</summary>
    public const int MaxLevel = 63;

    public long Start => Index << Level;

    public long End => (Index + 1) << Level;
}

/// <summary>
/// The leaves <see cref="Start"/> (inclusive) to <see cref="End"/> (exclusive) of a range that RFC 9162's recursion
/// produces: <c>D[Start:End]</c>, whose start is a multiple of the largest power of two not above its length.
/// </summary>
public readonly record struct LeafRange(long Start, long End)
{
    public long Length => End - Start;

    /// <summary>
    /// Its perfect subtrees, largest (leftmost) first: one per bit set in its length. <c>MTH(D[Start:End])</c> is their
    /// fold from the right (<see cref="CompactRange.Fold"/>), since MTH splits off the largest power of two below the
    /// length first.
    /// </summary>
    public TreeNode[] Nodes()
    {
        var nodes = new TreeNode[BitOperations.PopCount((ulong)Length)];
        var start = Start;
        for (var i = 0; i < nodes.Length; i++)
        {
            var level = BitOperations.Log2((ulong)(End - start));
            nodes[i] = new TreeNode(level, start >> level);
            start += 1L << level;
        }

        return nodes;
    }
}
