using System.Security.Cryptography;
using System.Text;

namespace Kavach.Tests.Support;

/// <summary>
/// RFC 9162 §2.1 as an auditor writes it from the RFC and docs/integrity.md alone, not with the server's code: the leaf of
/// an event as served, and the verification algorithms of §2.1.3.2 (giving the root an inclusion proof leads to) and
/// §2.1.4.2.
/// </summary>
public static class Rfc9162
{
    /// <summary>The leaf hash of an event: SHA-256(0x00 ‖ its JSON exactly as served, without the "hash" field).</summary>
    public static byte[] LeafOf(string servedJson)
    {
        var cut = servedJson.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal);
        return SHA256.HashData([0x00, .. Encoding.UTF8.GetBytes(cut < 0 ? servedJson : servedJson[..cut] + "}")]);
    }

    /// <summary>§2.1.3.2 up to the comparison: the root the path leads to; null when it cannot belong to that index and size.</summary>
    public static byte[]? RootFromInclusion(long index, long size, byte[] leaf, IReadOnlyList<byte[]> path)
    {
        if (index < 0 || index >= size)
        {
            return null;
        }

        long fn = index, sn = size - 1;
        var r = leaf;
        foreach (var p in path)
        {
            if (sn == 0)
            {
                return null;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 ? r : null;
    }

    public static bool VerifyConsistency(long first, long second, IReadOnlyList<byte[]> proof, byte[] firstRoot, byte[] secondRoot)
    {
        if (first == second)
        {
            return proof.Count == 0 && firstRoot.AsSpan().SequenceEqual(secondRoot);
        }

        if (first < 1 || second < first || proof.Count == 0)
        {
            return false;
        }

        var path = (first & (first - 1)) == 0 ? [firstRoot, .. proof] : proof.ToList();
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Node(c, fr);
                sr = Node(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot);
    }

    private static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);
}
