using System.Net;
using System.Text.Json;
using Kavach.ServiceDefaults.Auth;
using Kavach.Tests.Support;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// The Merkle tree's proofs against the running system, checked as an auditor does (<see cref="Rfc9162"/>, not the
/// server's code): every event, hashed as it is served, leads through its inclusion proof to one root per tree size,
/// the same on both replicas, and the consistency proofs join those roots. (Earlier events of this shared database may
/// have been pruned by other tests; the attack suite checks roots from sequence 1 on a database of its own.)
/// </summary>
[TestClass]
public sealed class MerkleProofTests
{
    private static IReadOnlyList<Uri> Replicas => KavachSystem.StreamApiReplicas;

    [TestMethod]
    public async Task EveryServedEventLeadsToOneRootPerTreeSizeOnBothReplicasAndConsistencyProofsJoinThem()
    {
        var emitted = new List<Emitted>();
        for (var i = 0; i < 6; i++)
        {
            using var client = new EventsClient(Replicas[i % 2], Tokens.EmitterAndReader());
            emitted.AddRange(await client.EmitAsync([.. Enumerable.Range(0, 50).Select(j => EventsClient.Event("audit", $"merkle-{i % 3}", new { i, j }))]));
        }

        var (first, last) = (emitted.Min(e => e.Sequence), emitted.Max(e => e.Sequence));
        var middle = first + (last - first) / 2;
        using var reader = new EventsClient(Replicas[0], Tokens.Reader());
        var served = await ServedAsync(reader, first - 1, last);
        Assert.HasCount((int)(last - first + 1), served, "another test emitted in between");

        var roots = new Dictionary<long, byte[]>();
        foreach (var replica in Replicas)
        {
            using var auditor = new EventsClient(replica, Tokens.Reader("merkle-auditor"));
            foreach (var size in new[] { middle, last })
            {
                foreach (var sequence in new[] { first, first + 1, middle - 1, middle, last }.Where(s => s <= size))
                {
                    var proof = await auditor.GetJsonAsync($"/api/kavach/events/proofs/inclusion?sequence={sequence}&treeSize={size}");
                    Assert.AreEqual(sequence - 1, proof.GetProperty("leafIndex").GetInt64());
                    var leaf = Rfc9162.LeafOf(served[sequence]);
                    Assert.AreEqual(Convert.ToHexStringLower(leaf), proof.GetProperty("leafHash").GetString(), $"leaf of #{sequence}");
                    var root = Rfc9162.RootFromInclusion(sequence - 1, size, leaf, Hashes(proof));
                    Assert.IsNotNull(root, $"#{sequence} in {size}: the path does not fit the tree's shape");
                    CollectionAssert.AreEqual(roots.TryAdd(size, root) ? root : roots[size], root, $"#{sequence} in {size} on {replica}");
                }
            }

            var consistency = await auditor.GetJsonAsync($"/api/kavach/events/proofs/consistency?from={middle}&to={last}");
            Assert.IsTrue(Rfc9162.VerifyConsistency(middle, last, Hashes(consistency), roots[middle], roots[last]), $"consistency on {replica}");
            var same = await auditor.GetJsonAsync($"/api/kavach/events/proofs/consistency?from={last}&to={last}");
            Assert.AreEqual(0, same.GetProperty("hashes").GetArrayLength());
        }

        // An event changed by one byte is not the one the tree holds.
        var altered = served[middle].Replace("\"j\":", "\"j\": ", StringComparison.Ordinal);
        var path = Hashes(await reader.GetJsonAsync($"/api/kavach/events/proofs/inclusion?sequence={middle}&treeSize={last}"));
        CollectionAssert.AreNotEqual(roots[last], Rfc9162.RootFromInclusion(middle - 1, last, Rfc9162.LeafOf(altered), path));
    }

    [TestMethod]
    public async Task ProofRequestsAreCheckedAndAnsweredWithProblems()
    {
        using var emitter = new EventsClient(Replicas[0], Tokens.EmitterAndReader());
        var head = (await emitter.EmitAsync(EventsClient.Event("audit", "merkle-errors")))[0].Sequence;
        using var reader = new EventsClient(Replicas[1], Tokens.Reader());

        foreach (var query in new[] { "inclusion?sequence=0&treeSize=5", $"inclusion?sequence={head}&treeSize={head - 1}", "inclusion?treeSize=5",
                     "inclusion?sequence=abc&treeSize=5", "consistency?from=0&to=5", "consistency?from=6&to=5", "consistency?from=5",
                     $"consistency?from=1&to={head}&epoch=0" })
        {
            Assert.AreEqual(HttpStatusCode.BadRequest, await StatusAsync(reader, query), query);
        }

        Assert.AreEqual(HttpStatusCode.NotFound, await StatusAsync(reader, $"inclusion?sequence=1&treeSize={head + 1_000_000}"));
        Assert.AreEqual(HttpStatusCode.NotFound, await StatusAsync(reader, $"consistency?from=1&to={head}&epoch=99"), "an epoch the stream never had");

        using var narrowed = new EventsClient(Replicas[1], Tokens.Reader("merkle-narrowed", new TokenGrants(Types: ["audit"])));
        Assert.AreEqual(HttpStatusCode.Forbidden, await StatusAsync(narrowed, $"consistency?from=1&to={head}"), "proofs are for readers of every event");
        using var anonymous = new EventsClient(Replicas[1]);
        Assert.AreEqual(HttpStatusCode.Unauthorized, await StatusAsync(anonymous, $"consistency?from=1&to={head}"));
        using var emitOnly = new EventsClient(Replicas[1], Tokens.Emitter());
        Assert.AreEqual(HttpStatusCode.Forbidden, await StatusAsync(emitOnly, $"consistency?from=1&to={head}"));
    }

    /// <summary>The events after <paramref name="after"/> up to <paramref name="upTo"/>, each as the raw JSON the page served, by sequence.</summary>
    private static async Task<Dictionary<long, string>> ServedAsync(EventsClient reader, long after, long upTo)
    {
        var served = new Dictionary<long, string>();
        while (after < upTo)
        {
            var page = await reader.GetJsonAsync($"/api/kavach/events?after={after}&limit=1000");
            foreach (var e in page.GetProperty("events").EnumerateArray().TakeWhile(e => e.GetProperty("sequence").GetInt64() <= upTo))
            {
                served[e.GetProperty("sequence").GetInt64()] = e.GetRawText();
            }

            if (page.GetProperty("next").ValueKind == JsonValueKind.Null)
            {
                break;
            }

            after = page.GetProperty("next").GetInt64();
        }

        return served;
    }

    private static List<byte[]> Hashes(JsonElement proof) =>
        [.. proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!))];

    private static async Task<HttpStatusCode> StatusAsync(EventsClient client, string query)
    {
        using var response = await client.Http.GetAsync($"/api/kavach/events/proofs/{query}");
        return response.StatusCode;
    }
}
