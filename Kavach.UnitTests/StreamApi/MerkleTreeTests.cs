using System.Security.Cryptography;
using Kavach.StreamApi.Integrity.Merkle;
using Kavach.UnitTests.Support;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// RFC 9162 §2.1 against the test vectors published with RFC 6962's reference implementations (Certificate
/// Transparency's, also in transparency-dev/merkle), and against the RFC's recursive definitions computed naively here
/// over random trees.
/// </summary>
[TestClass]
public sealed class MerkleTreeTests
{
    private static readonly byte[][] VectorLeaves =
    [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];

    /// <summary>The roots of the trees of the first 1…8 vector leaves.</summary>
    private static readonly string[] VectorRoots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    public static IEnumerable<object[]> InclusionVectors =>
    [
        [0L, 8L, new[] { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" }],
        [5L, 8L, new[] { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }],
        [2L, 3L, new[] { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" }],
        [1L, 5L, new[] { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" }],
        [0L, 1L, Array.Empty<string>()],
    ];

    public static IEnumerable<object[]> ConsistencyVectors =>
    [
        [1L, 1L, Array.Empty<string>()],
        [1L, 8L, new[] { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" }],
        [6L, 8L, new[] { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }],
        [2L, 5L, new[] { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" }],
        [6L, 7L, new[] { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }],
    ];

    [TestMethod]
    public void TheVectorTreesHaveThePublishedRoots()
    {
        var range = new CompactRange();
        Span<byte> completed = stackalloc byte[64 * MerkleHash.Size];
        for (var size = 1; size <= VectorLeaves.Length; size++)
        {
            range.Append(MerkleHash.Leaf(VectorLeaves[size - 1]), completed);
            Assert.AreEqual(VectorRoots[size - 1], Convert.ToHexStringLower(range.Root()), $"size {size}");
        }

        Assert.AreEqual("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(new CompactRange().Root()));
    }

    [TestMethod]
    [DynamicData(nameof(InclusionVectors))]
    public void InclusionProofsAreThePublishedOnesAndVerify(long index, long size, string[] expected)
    {
        var leaves = VectorLeaves[..(int)size];
        CollectionAssert.AreEqual(expected, Hashes(leaves, MerkleProofs.Inclusion(index, size)).Select(Convert.ToHexStringLower).ToList());

        var proof = expected.Select(Convert.FromHexString).ToList();
        var root = Convert.FromHexString(VectorRoots[size - 1]);
        Assert.IsTrue(MerkleVerifier.VerifyInclusion(index, size, MerkleHash.Leaf(leaves[index]), proof, root));
        foreach (var (what, probe) in InclusionCorruptions(index, size, MerkleHash.Leaf(leaves[index]), proof, root))
        {
            Assert.IsFalse(MerkleVerifier.VerifyInclusion(probe.Index, probe.Size, probe.Leaf, probe.Proof, probe.Root), what);
        }
    }

    [TestMethod]
    [DynamicData(nameof(ConsistencyVectors))]
    public void ConsistencyProofsAreThePublishedOnesAndVerify(long from, long to, string[] expected)
    {
        CollectionAssert.AreEqual(expected, Hashes(VectorLeaves[..(int)to], MerkleProofs.Consistency(from, to)).Select(Convert.ToHexStringLower).ToList());

        var proof = expected.Select(Convert.FromHexString).ToList();
        var (fromRoot, toRoot) = (Convert.FromHexString(VectorRoots[from - 1]), Convert.FromHexString(VectorRoots[to - 1]));
        Assert.IsTrue(MerkleVerifier.VerifyConsistency(from, to, proof, fromRoot, toRoot));
        if (from != to)
        {
            foreach (var (what, probe) in ConsistencyCorruptions(from, to, proof, fromRoot, toRoot))
            {
                Assert.IsFalse(MerkleVerifier.VerifyConsistency(probe.From, probe.To, probe.Proof, probe.FromRoot, probe.ToRoot), what);
            }
        }
    }

    [TestMethod]
    public void ProofsMatchTheRfcDefinitionsOverRandomTrees()
    {
        var random = new Random(9162);
        for (var round = 0; round < 60; round++)
        {
            var size = round < 40 ? round + 1 : random.Next(41, 700);
            var leaves = Enumerable.Range(0, size).Select(_ => RandomBytes(random)).ToArray();
            var root = NaiveMerkle.Mth(leaves);
            Assert.AreEqual(Convert.ToHexStringLower(root), Convert.ToHexStringLower(Hash(leaves, new LeafRange(0, size))), $"root of {size}");

            foreach (var index in Samples(random, size, 0))
            {
                var expected = NaiveMerkle.Path(index, leaves);
                var proof = Hashes(leaves, MerkleProofs.Inclusion(index, size));
                CollectionAssert.AreEqual(expected.Select(Convert.ToHexStringLower).ToList(), proof.Select(Convert.ToHexStringLower).ToList(), $"PATH({index}, {size})");
                var leaf = MerkleHash.Leaf(leaves[index]);
                Assert.IsTrue(MerkleVerifier.VerifyInclusion(index, size, leaf, proof, root), $"PATH({index}, {size}) verifies");
                foreach (var (what, probe) in InclusionCorruptions(index, size, leaf, proof, root))
                {
                    Assert.IsFalse(MerkleVerifier.VerifyInclusion(probe.Index, probe.Size, probe.Leaf, probe.Proof, probe.Root), $"PATH({index}, {size}): {what}");
                }
            }

            foreach (var from in Samples(random, size, 1))
            {
                var expected = NaiveMerkle.Proof(from, leaves);
                var proof = Hashes(leaves, MerkleProofs.Consistency(from, size));
                CollectionAssert.AreEqual(expected.Select(Convert.ToHexStringLower).ToList(), proof.Select(Convert.ToHexStringLower).ToList(), $"PROOF({from}, {size})");
                var fromRoot = NaiveMerkle.Mth(leaves[..(int)from]);
                Assert.IsTrue(MerkleVerifier.VerifyConsistency(from, size, proof, fromRoot, root), $"PROOF({from}, {size}) verifies");
                if (from != size)
                {
                    foreach (var (what, probe) in ConsistencyCorruptions(from, size, proof, fromRoot, root))
                    {
                        Assert.IsFalse(MerkleVerifier.VerifyConsistency(probe.From, probe.To, probe.Proof, probe.FromRoot, probe.ToRoot), $"PROOF({from}, {size}): {what}");
                    }
                }
            }
        }
    }

    [TestMethod]
    public void ACompactRangeRebuiltFromItsEdgeGoesOnAsTheOriginal()
    {
        var random = new Random(17);
        var leaves = Enumerable.Range(0, 1000).Select(_ => MerkleHash.Leaf(RandomBytes(random))).ToArray();
        var original = new CompactRange();
        var completed = new byte[64 * MerkleHash.Size];
        for (var i = 0; i < 613; i++)
        {
            original.Append(leaves[i], completed);
        }

        var edge = new LeafRange(0, 613).Nodes().Select(n => NodeHash(leaves, n)).ToList();
        var rebuilt = CompactRange.From(613, edge);
        CollectionAssert.AreEqual(original.Root(), rebuilt.Root());
        for (var i = 613; i < leaves.Length; i++)
        {
            var merged = original.Append(leaves[i], completed);
            Assert.AreEqual(merged, rebuilt.Append(leaves[i], completed));
            for (var level = 1; level <= merged; level++)
            {
                // What an append completes is the perfect subtree that ends at this leaf, at each level.
                var node = new TreeNode(level, (i + 1 - (1L << level)) >> level);
                CollectionAssert.AreEqual(NodeHash(leaves, node), completed.AsSpan((level - 1) * 32, 32).ToArray(), $"leaf {i}, level {level}");
            }
        }

        CollectionAssert.AreEqual(original.Root(), rebuilt.Root());
        CollectionAssert.AreEqual(CompactRange.Fold(new LeafRange(0, 1000).Nodes().Select(n => NodeHash(leaves, n)).ToList()), rebuilt.Root());
    }

    [TestMethod]
    public void AbsentLeavesHashAsEmptyDataAndTheirSubtreesAsUsual()
    {
        CollectionAssert.AreEqual(SHA256.HashData(new byte[] { 0 }), MerkleHash.AbsentSubtree(0).ToArray());
        var absent = Enumerable.Repeat(Array.Empty<byte>(), 16).ToArray();
        CollectionAssert.AreEqual(NaiveMerkle.Mth(absent), MerkleHash.AbsentSubtree(4).ToArray());
    }

    [TestMethod]
    public void ProofsOfImpossibleSizesAreRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MerkleProofs.Inclusion(5, 5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MerkleProofs.Inclusion(-1, 5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MerkleProofs.Consistency(0, 5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MerkleProofs.Consistency(6, 5));
        var some = new byte[32];
        Assert.IsFalse(MerkleVerifier.VerifyInclusion(0, 0, some, [], some));
        Assert.IsFalse(MerkleVerifier.VerifyInclusion(1, 1, some, [], some));
        Assert.IsFalse(MerkleVerifier.VerifyConsistency(0, 1, [], some, some));
        Assert.IsFalse(MerkleVerifier.VerifyConsistency(2, 1, [], some, some));
        Assert.IsFalse(MerkleVerifier.VerifyConsistency(1, 2, [], some, some), "an empty proof between different sizes");
        Assert.IsTrue(MerkleVerifier.VerifyConsistency(3, 3, [], some, some));
        Assert.IsFalse(MerkleVerifier.VerifyConsistency(3, 3, [some], some, some), "equal sizes take an empty proof");
    }

    private static IEnumerable<long> Samples(Random random, int size, int least) =>
        size <= 40 ? Enumerable.Range(least, size - least + (least == 0 ? 0 : 1)).Select(i => (long)i)
            : [least, size - 1, .. Enumerable.Range(0, 12).Select(_ => (long)random.Next(least, size))];

    private static byte[] RandomBytes(Random random)
    {
        var data = new byte[random.Next(0, 40)];
        random.NextBytes(data);
        return data;
    }

    private static List<byte[]> Hashes(byte[][] leafData, IEnumerable<LeafRange> ranges) =>
        [.. ranges.Select(r => Hash(leafData, r))];

    private static byte[] Hash(byte[][] leafData, LeafRange range)
    {
        var leaves = leafData.Select(d => MerkleHash.Leaf(d)).ToArray();
        return CompactRange.Fold([.. range.Nodes().Select(n => NodeHash(leaves, n))]);
    }

    private static byte[] NodeHash(byte[][] leafHashes, TreeNode node) =>
        node.Level == 0 ? leafHashes[node.Index]
            : MerkleHash.Node(NodeHash(leafHashes, new TreeNode(node.Level - 1, 2 * node.Index)), NodeHash(leafHashes, new TreeNode(node.Level - 1, 2 * node.Index + 1)));

    private sealed record InclusionProbe(long Index, long Size, byte[] Leaf, List<byte[]> Proof, byte[] Root);

    private static IEnumerable<(string, InclusionProbe)> InclusionCorruptions(long index, long size, byte[] leaf, List<byte[]> proof, byte[] root)
    {
        var other = SHA256.HashData("other"u8);
        yield return ("index - 1", new(index - 1, size, leaf, proof, root));
        yield return ("index + 1", new(index + 1, size, leaf, proof, root));
        yield return ("index ^ 2", new(index ^ 2, size, leaf, proof, root));
        yield return ("size * 2", new(index, size * 2, leaf, proof, root));
        yield return ("size / 2", new(index, size / 2, leaf, proof, root));
        yield return ("another leaf", new(index, size, other, proof, root));
        yield return ("another root", new(index, size, leaf, proof, other));
        yield return ("trailing hash", new(index, size, leaf, [.. proof, root], root));
        yield return ("preceding hash", new(index, size, leaf, [root, .. proof], root));
        yield return ("short hash", new(index, size, leaf, [.. proof, [1, 2, 3]], root));
        for (var i = 0; i < proof.Count; i++)
        {
            var flipped = proof.Select(p => (byte[])p.Clone()).ToList();
            flipped[i][0] ^= 8;
            yield return ($"proof[{i}] flipped", new(index, size, leaf, flipped, root));
        }

        if (proof.Count > 0)
        {
            yield return ("last hash removed", new(index, size, leaf, proof[..^1], root));
        }
    }

    private sealed record ConsistencyProbe(long From, long To, List<byte[]> Proof, byte[] FromRoot, byte[] ToRoot);

    private static IEnumerable<(string, ConsistencyProbe)> ConsistencyCorruptions(long from, long to, List<byte[]> proof, byte[] fromRoot, byte[] toRoot)
    {
        var other = SHA256.HashData("other"u8);
        yield return ("from - 1", new(from - 1, to, proof, fromRoot, toRoot));
        yield return ("from + 1", new(from + 1, to, proof, fromRoot, toRoot));
        yield return ("from ^ 2", new(from ^ 2, to, proof, fromRoot, toRoot));
        yield return ("to * 2", new(from, to * 2, proof, fromRoot, toRoot));
        yield return ("to / 2", new(from, to / 2, proof, fromRoot, toRoot));
        yield return ("another old root", new(from, to, proof, other, toRoot));
        yield return ("another new root", new(from, to, proof, fromRoot, other));
        yield return ("roots swapped", new(from, to, proof, toRoot, fromRoot));
        yield return ("empty proof", new(from, to, [], fromRoot, toRoot));
        yield return ("trailing old root", new(from, to, [.. proof, fromRoot], fromRoot, toRoot));
        yield return ("trailing new root", new(from, to, [.. proof, toRoot], fromRoot, toRoot));
        yield return ("preceding old root", new(from, to, [fromRoot, .. proof], fromRoot, toRoot));
        yield return ("preceding proof[0]", new(from, to, [proof[0], .. proof], fromRoot, toRoot));
        yield return ("last hash removed", new(from, to, proof[..^1], fromRoot, toRoot));
        for (var i = 0; i < proof.Count; i++)
        {
            var flipped = proof.Select(p => (byte[])p.Clone()).ToList();
            flipped[i][0] ^= 16;
            yield return ($"proof[{i}] flipped", new(from, to, flipped, fromRoot, toRoot));
        }
    }
}
