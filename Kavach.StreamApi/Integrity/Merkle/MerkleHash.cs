using System.Buffers;
using System.Security.Cryptography;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// RFC 9162 §2.1.1 with SHA-256: a leaf's hash is <c>SHA-256(0x00 ‖ data)</c>, a node's <c>SHA-256(0x01 ‖ left ‖ right)</c>,
/// and the empty tree's <c>SHA-256()</c>. The two prefixes keep a leaf from ever passing for a node.
/// </summary>
public static class MerkleHash
{
    public const int Size = 32;

    /// <summary>Leaves hashed on the stack up to this many bytes of data; larger ones in a pooled buffer.</summary>
    private const int StackLimit = 1024;

    private static readonly byte[][] Absent = BuildAbsent();

    public static void Leaf(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var length = data.Length + 1;
        var rented = length > StackLimit ? ArrayPool<byte>.Shared.Rent(length) : null;
        var input = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        input[0] = 0x00;
        data.CopyTo(input[1..]);
        SHA256.HashData(input, destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static byte[] Leaf(ReadOnlySpan<byte> data)
    {
        var hash = new byte[Size];
        Leaf(data, hash);
        return hash;
    }

    public static void Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[1 + 2 * Size];
        input[0] = 0x01;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + Size)..]);
        SHA256.HashData(input, destination);
    }

    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[Size];
        Node(left, right, hash);
        return hash;
    }

    /// <summary>MTH of the empty list: the root of a tree of size 0.</summary>
    public static byte[] Empty() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>The leaf of an event: its JSON as served without the hash field — the bytes the hash chain covers.</summary>
    public static void Event(StoredEvent stored, Span<byte> destination) =>
        Leaf(ChainHash.ServedJson(stored.Body, stored.Sequence), destination);

    /// <summary>
    /// The root of a perfect subtree of 2^<paramref name="level"/> leaves from before the tree began (docs/integrity.md,
    /// "The Merkle tree"): such a leaf has empty data, so its hash is <c>SHA-256(0x00)</c>, which no event's can be.
    /// </summary>
    public static ReadOnlySpan<byte> AbsentSubtree(int level) => Absent[level];

    private static byte[][] BuildAbsent()
    {
        var levels = new byte[TreeNode.MaxLevel + 1][];
        levels[0] = Leaf([]);
        for (var level = 1; level < levels.Length; level++)
        {
            levels[level] = Node(levels[level - 1], levels[level - 1]);
        }

        return levels;
    }
}
