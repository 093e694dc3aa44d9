using System.Security.Cryptography;

namespace Kavach.UnitTests.Support;

/// <summary>
/// RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 as written: recursive, over the leaves' data, with SHA-256 directly — the
/// reference the tree's code is checked against.
/// </summary>
internal static class NaiveMerkle
{
    public static byte[] Mth(byte[][] d)
    {
        if (d.Length == 0)
        {
            return SHA256.HashData(ReadOnlySpan<byte>.Empty);
        }

        if (d.Length == 1)
        {
            return SHA256.HashData([0x00, .. d[0]]);
        }

        var k = K(d.Length);
        return SHA256.HashData([0x01, .. Mth(d[..k]), .. Mth(d[k..])]);
    }

    public static List<byte[]> Path(long m, byte[][] d)
    {
        if (d.Length == 1)
        {
            return [];
        }

        var k = K(d.Length);
        return m < k ? [.. Path(m, d[..k]), Mth(d[k..])] : [.. Path(m - k, d[k..]), Mth(d[..k])];
    }

    public static List<byte[]> Proof(long m, byte[][] d) => SubProof(m, d, true);

    private static List<byte[]> SubProof(long m, byte[][] d, bool b)
    {
        if (m == d.Length)
        {
            return b ? [] : [Mth(d)];
        }

        var k = K(d.Length);
        return m <= k ? [.. SubProof(m, d[..k], b), Mth(d[k..])] : [.. SubProof(m - k, d[k..], false), Mth(d[..k])];
    }

    private static int K(int n)
    {
        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }
}
