namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// The tree as a replica holds it at one moment: its size in the history it follows, its root, and what is in memory
/// and maybe not stored yet — the block being filled and the full blocks waiting to be written.
/// </summary>
public sealed record TreeView(TreeHistory History, long Size, byte[] Root, TreeBlock? Building, IReadOnlyList<TreeBlock> Pending)
{
    /// <summary>A view of storage alone, with the blocks a recovery has read in hand.</summary>
    public static TreeView Stored(TreeHistory history, long size, IReadOnlyList<TreeBlock> inHand) =>
        new(history, size, [], null, inHand);
}
