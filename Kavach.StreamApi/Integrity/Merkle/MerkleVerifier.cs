namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// RFC 9162's verification algorithms, step for step: §2.1.3.2 (an inclusion proof) and §2.1.4.2 (a consistency
/// proof). They need only the sizes, the hashes of the proof and the roots — nothing of the tree.
/// </summary>
public static class MerkleVerifier
{
    /// <summary>Whether <paramref name="path"/> proves leaf <paramref name="index"/> with <paramref name="leafHash"/> in the tree of <paramref name="root"/>.</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> path, ReadOnlySpan<byte> root)
    {
        Span<byte> computed = stackalloc byte[MerkleHash.Size];
        return RootFromInclusion(index, size, leafHash, path, computed) && computed.SequenceEqual(root);
    }

    /// <summary>The root an inclusion proof leads to; null when the proof cannot belong to that index and size.</summary>
    public static byte[]? RootFromInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> path)
    {
        var root = new byte[MerkleHash.Size];
        return RootFromInclusion(index, size, leafHash, path, root) ? root : null;
    }

    /// <summary>
    /// Whether <paramref name="proof"/> shows the tree of <paramref name="toSize"/> leaves and <paramref name="toRoot"/>
    /// extends the tree of <paramref name="fromSize"/> and <paramref name="fromRoot"/>. Equal sizes take an empty proof
    /// and equal roots.
    /// </summary>
    public static bool VerifyConsistency(long fromSize, long toSize, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> fromRoot,
        ReadOnlySpan<byte> toRoot)
    {
        if (fromSize < 1 || toSize < fromSize || fromRoot.Length != MerkleHash.Size || toRoot.Length != MerkleHash.Size
            || proof.Any(p => p.Length != MerkleHash.Size))
        {
            return false;
        }

        if (fromSize == toSize)
        {
            return proof.Count == 0 && fromRoot.SequenceEqual(toRoot);
        }

        // 1. An empty proof fails.
        if (proof.Count == 0)
        {
            return false;
        }

        // 2. When the first size is a power of two, its root is where the proof starts.
        var first = 0;
        Span<byte> fr = stackalloc byte[MerkleHash.Size];
        Span<byte> sr = stackalloc byte[MerkleHash.Size];
        if ((fromSize & (fromSize - 1)) == 0)
        {
            fromRoot.CopyTo(fr);
        }
        else
        {
            proof[first++].CopyTo(fr);
        }

        // 3., 4.
        var fn = fromSize - 1;
        var sn = toSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        // 5.
        fr.CopyTo(sr);

        // 6.
        for (var i = first; i < proof.Count; i++)
        {
            var c = proof[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.Node(c, fr, fr);
                MerkleHash.Node(c, sr, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                MerkleHash.Node(sr, c, sr);
            }

            fn >>= 1;
            sn >>= 1;
        }

        // 7.
        return sn == 0 && fr.SequenceEqual(fromRoot) && sr.SequenceEqual(toRoot);
    }

    private static bool RootFromInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> path, Span<byte> r)
    {
        // 1.
        if (index < 0 || index >= size || leafHash.Length != MerkleHash.Size)
        {
            return false;
        }

        // 2., 3.
        var fn = index;
        var sn = size - 1;
        leafHash.CopyTo(r);

        // 4.
        foreach (var p in path)
        {
            if (sn == 0 || p.Length != MerkleHash.Size)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.Node(p, r, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                MerkleHash.Node(r, p, r);
            }

            fn >>= 1;
            sn >>= 1;
        }

        // 5.
        return sn == 0;
    }
}
