namespace Kavach.StreamApi.Integrity;

/// <summary>
/// The RFC 9162 Merkle tree over the log (docs/integrity.md, "The Merkle tree"): leaf i is the event at sequence i + 1
/// of the current history, its data the event's JSON as served without its hash (the bytes the chain hashes).
/// </summary>
public interface ITreeHeads
{
    /// <summary>
    /// The tree's root over its first <paramref name="size"/> leaves; null when the tree has not been built that far
    /// yet (the signer tries again on its next turn).
    /// </summary>
    Task<byte[]?> RootAtAsync(long size, CancellationToken cancellationToken);
}
