namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>What the tree keeps in and reads from PostgreSQL (<see cref="TreeStore"/>); a fake in unit tests.</summary>
public interface ITreeStore
{
    /// <summary>The current epoch, every epoch's start, and where the tree begins.</summary>
    Task<TreeHistory> ReadHistoryAsync(CancellationToken cancellationToken);

    /// <summary>The database's current epoch (one cheap read).</summary>
    Task<long> ReadEpochAsync(CancellationToken cancellationToken);

    /// <summary>
    /// For each wanted block, the stored row of the current history with the most leaves, at least
    /// <see cref="BlockWant.MinLeaves"/> of them; blocks with no such row are left out.
    /// </summary>
    Task<List<TreeBlock>> ReadBlocksAsync(IReadOnlyCollection<BlockWant> wants, TreeHistory history, CancellationToken cancellationToken);

    /// <summary>
    /// The stored block of the current history that reaches furthest, with its leaves: cut to those that still hold and to
    /// the first <paramref name="upTo"/> leaves of the tree (then without its nodes).
    /// </summary>
    Task<TreeBlock?> ReadNewestAsync(long upTo, TreeHistory history, CancellationToken cancellationToken);

    /// <summary>The newest signed tree head (a version 2 checkpoint) of the current history whose size is at most <paramref name="upTo"/>.</summary>
    Task<SignedTreeHead?> ReadSignedHeadAsync(long upTo, TreeHistory history, CancellationToken cancellationToken);

    /// <summary>
    /// Stores blocks that are not stored yet; returns those stored before with other hashes (never overwritten): other nodes
    /// for a full block, other leaves for a block in progress.
    /// </summary>
    Task<List<TreeBlock>> WriteAsync(IReadOnlyList<TreeBlock> blocks, CancellationToken cancellationToken);

    /// <summary>The leaf hashes of the stored events after <paramref name="after"/>, up to <paramref name="upTo"/>, at most <paramref name="limit"/>, in order.</summary>
    Task<List<(long Sequence, byte[] Leaf)>> ReadLeavesAsync(long after, long upTo, int limit, CancellationToken cancellationToken);
}

/// <summary>A block a reader needs: at least <see cref="MinLeaves"/> leaves of it, and those leaves' hashes or only its nodes.</summary>
public readonly record struct BlockWant(long Block, int MinLeaves, bool Leaves);

/// <summary>What a version 2 checkpoint signed about the tree: its size and root, in <see cref="Epoch"/>.</summary>
public sealed record SignedTreeHead(long Epoch, long Sequence, long TreeSize, byte[] Root);
