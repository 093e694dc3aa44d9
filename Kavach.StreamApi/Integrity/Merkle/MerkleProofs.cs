using System.Numerics;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// Which subtrees RFC 9162's proofs are made of, without hashing anything: each element of a proof is
/// <c>MTH(D[range])</c> of one <see cref="LeafRange"/>, in the order the proof lists it. Whoever holds the tree's
/// nodes turns the ranges into hashes (<see cref="CompactRange.Fold"/> of <see cref="LeafRange.Nodes"/>).
/// </summary>
public static class MerkleProofs
{
    /// <summary>
    /// PATH(m, D[n]) (§2.1.3.1): the siblings on the way from leaf <paramref name="index"/> up to the root of a tree of
    /// <paramref name="size"/> leaves, lowest first.
    /// </summary>
    public static LeafRange[] Inclusion(long index, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var path = new List<LeafRange>();
        long start = 0, end = size;
        while (end - start > 1)
        {
            // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) when m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]).
            var split = start + LargestPowerOfTwoBelow(end - start);
            if (index < split)
            {
                path.Add(new LeafRange(split, end));
                end = split;
            }
            else
            {
                path.Add(new LeafRange(start, split));
                start = split;
            }
        }

        path.Reverse(); // found from the root down; listed from the leaf up
        return [.. path];
    }

    /// <summary>
    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (§2.1.4.1) for 0 &lt; <paramref name="from"/> &lt; <paramref name="to"/>:
    /// what shows that the tree of <paramref name="to"/> leaves extends the tree of <paramref name="from"/>. Empty when
    /// the sizes are equal.
    /// </summary>
    public static LeafRange[] Consistency(long from, long to)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(from, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(to, from);
        var proof = new List<LeafRange>();
        long start = 0, end = to;
        var whole = true; // SUBPROOF's b: the old tree is still a whole subtree of the new one here
        while (from != end)
        {
            // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) when m ≤ k,
            // else SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
            var split = start + LargestPowerOfTwoBelow(end - start);
            if (from <= split)
            {
                proof.Add(new LeafRange(split, end));
                end = split;
            }
            else
            {
                proof.Add(new LeafRange(start, split));
                start = split;
                whole = false;
            }
        }

        if (!whole)
        {
            proof.Add(new LeafRange(start, end)); // SUBPROOF(m, D[m], false) = {MTH(D[m])}
        }

        proof.Reverse();
        return [.. proof];
    }

    /// <summary>The largest power of two strictly below <paramref name="n"/> (n ≥ 2): where MTH splits n leaves.</summary>
    public static long LargestPowerOfTwoBelow(long n) => 1L << BitOperations.Log2((ulong)(n - 1));
}
