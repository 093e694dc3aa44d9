using System.Net;
using System.Security.Cryptography;
using System.Text;
using Kavach.AttackTests.Harness;
using Kavach.StreamApi.Integrity.Merkle;
using Npgsql;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// A database writer against the Merkle tree (issue 17, item 3): an auditor who saved a signed tree head earlier proves
/// with the public key alone, and O(log n) hashes, whether today's log extends it. Played on a database of its own, with
/// signed tree heads made by <see cref="TreeHeads"/> with the replica's key (what the signer will sign).
/// </summary>
[TestClass]
public sealed class MerkleTreeAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    /// <summary>
    /// Issue 17's first attack, carried to the tree: change one signed event, recompute every later hash with the
    /// database's own <c>kavach_chain()</c>, rewrite the stored tree to match, delete the checkpoints from there on, and
    /// sign what is then stored with the service's key, as a signer that did not check would. The replica's own signer
    /// refuses (<c>/verify</c> and the console say so), and the auditor's saved checkpoint cannot be extended to it.
    /// </summary>
    [TestMethod]
    public async Task ARewrittenAndRehashedLogCannotBeProvenToExtendAnEarlierCheckpoint()
    {
        using var attack = await AuditedReplica.StartAsync("merkle_rewrite", "merkle-rewrite");
        var (db, replica, heads, emitter, reader) = (attack.Db, attack.Replica, attack.Heads, attack.Emitter, attack.Reader);
        string[] Auditor(params string[] more) => attack.Auditor(more);

        await EmitAsync(emitter, 6);
        await TreeAtAsync(reader, 600);
        var saved = await heads.SignAsync(600, await TreeHeads.RootAsync(reader, 600));
        var savedFile = await TreeHeads.SaveAsync(saved);
        await EmitAsync(emitter, 3);
        await TreeAtAsync(reader, 900);
        await heads.SignAsync(900, await TreeHeads.RootAsync(reader, 900));
        var honest = await VerifierCli.RunAsync(Auditor("--extends", savedFile, "--include", "100"));
        Findings.Record("auditor, honest log: verify-chain --extends <tree head of 600> --include 100", $"exit {honest.Code}: {Last(honest.Output)}");
        Assert.AreEqual(0, honest.Code, honest.Output);

        await RewriteEventAndRehashAsync(db, 100);
        var included = await VerifierCli.RunAsync(Auditor("--include", "100"));
        Findings.Record("event #100 rewritten and the chain re-hashed with kavach_chain(); verify-chain --include 100",
            $"exit {included.Code}: {Last(included.Output)}");
        Assert.AreEqual(1, included.Code, included.Output);
        StringAssert.Contains(included.Output, "is NOT the event in the signed tree");

        await RewriteTreeAsync(db, reader);
        await replica.StopAsync();
        await replica.StartAsync();
        var refused = await reader.GetAsync($"{Api.Events}/proofs/consistency?from=600&to=900");
        Findings.Record("event #100 rewritten, chain re-hashed, stored tree rewritten to match; replica restarted, signed heads still stored",
            $"{(int)refused.Status}: the tree does not build on it ({Last(refused.Json.GetProperty("detail").GetString()!)})");
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, refused.Status, refused.ToString());

        // As in issue 17's attack: the checkpoints from the rewritten event on go too. The replica's signer refuses (it never
        // delivered this chain), so the attack signs the head itself with the service's key: a signer that would sign it.
        await db.ExecuteAsync("DELETE FROM kavach_checkpoints WHERE sequence >= 100");
        await replica.StopAsync();
        await replica.StartAsync();
        await EmitAsync(emitter, 1, size: 1);
        await TreeAtAsync(reader, 901);
        var forgedRoot = await TreeHeads.RootAsync(reader, 901);
        await heads.SignAsync(901, forgedRoot);
        var report = await reader.GetAsync($"{Api.Events}/verify");
        var verify = ChainVerdict.Of(report);
        var proof = await reader.GetAsync($"{Api.Events}/proofs/consistency?from=600&to=901&epoch={saved.Epoch}");
        var hashes = proof.Json.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        var consistent = MerkleVerifier.VerifyConsistency(600, 901, hashes, Convert.FromHexString(saved.TreeRoot!), forgedRoot);
        var cli = await VerifierCli.RunAsync(Auditor("--extends", savedFile));
        Findings.Record("… and the checkpoints from #100 on deleted; the head (#901) signed with the service's key as if its signer had",
            $"/verify {verify}, console {ConsoleAlert.Of(report)}; consistency proof 600 → 901 {(consistent ? "VERIFIES" : "does not verify")}; verify-chain --extends exit {cli.Code}: {Last(cli.Output)}");
        StringAssert.StartsWith(verify, "valid:false", "the replica's own signer saw the rewrite and refuses: /verify says so");
        Assert.IsTrue(ConsoleAlert.Raised(report), report.ToString());
        Assert.IsFalse(consistent, "no consistency proof leads from the saved root to the rewritten log's");
        Assert.AreEqual(1, cli.Code, cli.Output);
        StringAssert.Contains(cli.Output, "does NOT extend your checkpoint");
    }

    /// <summary>
    /// A restore takes the database back to #300 and the stream goes on in epoch 2 with other events: an auditor's tree head
    /// of 600 events is of a history that no longer exists, and is told so; one of 280 is in both and still proves.
    /// </summary>
    [TestMethod]
    public async Task ATreeHeadOfAReplacedHistoryIsToldSoAndOneOfTheSharedPartStillProves()
    {
        using var attack = await AuditedReplica.StartAsync("merkle_epoch", "merkle-epoch");
        var (db, replica, heads, emitter, reader) = (attack.Db, attack.Replica, attack.Heads, attack.Emitter, attack.Reader);
        string[] Auditor(params string[] more) => attack.Auditor(more);

        await EmitAsync(emitter, 6);
        await TreeAtAsync(reader, 600);
        var shared = await TreeHeads.SaveAsync(await heads.SignAsync(280, await TreeHeads.RootAsync(reader, 280)));
        var lost = await TreeHeads.SaveAsync(await heads.SignAsync(600, await TreeHeads.RootAsync(reader, 600)));

        // The database as a backup taken at #300 left it: no later events, checkpoints or tree blocks.
        await db.ExecuteAsync("""
            DELETE FROM kavach_stream_events WHERE sequence > 300;
            DELETE FROM kavach_checkpoints WHERE sequence > 300;
            DELETE FROM kavach_merkle_blocks WHERE block * 256 + leaf_count > 300;
            UPDATE kavach_stream_sequence SET last_value = 300, chain_hashes = ARRAY[(SELECT hash FROM kavach_stream_events WHERE sequence = 300)];
            """);
        await Poll.UntilAsync(() => db.ScalarAsync<long>("SELECT epoch FROM kavach_stream_sequence"), epoch => epoch == 2);
        await EmitAsync(emitter, 4);
        await TreeAtAsync(reader, 700);
        await heads.SignAsync(700, await TreeHeads.RootAsync(reader, 700));

        var fromLost = await VerifierCli.RunAsync(Auditor("--extends", lost));
        var fromShared = await VerifierCli.RunAsync(Auditor("--extends", shared));
        Findings.Record("restore to #300, epoch 2 goes on to #700: verify-chain --extends <epoch 1's tree head of 600>", $"exit {fromLost.Code}: {Last(fromLost.Output)}");
        Findings.Record("… --extends <epoch 1's tree head of 280, before the restore point>", $"exit {fromShared.Code}: {Last(fromShared.Output)}");
        Assert.AreEqual(1, fromLost.Code, fromLost.Output);
        StringAssert.Contains(fromLost.Output, "replaced after sequence 300");
        Assert.AreEqual(0, fromShared.Code, fromShared.Output);
    }

    private static async Task EmitAsync(Api emitter, int batches, int size = 100)
    {
        for (var i = 0; i < batches; i++)
        {
            await emitter.EmitOkAsync([.. Enumerable.Range(0, size).Select(j => Api.Event("audit", agentId: $"merkle-{j % 7}"))]);
        }
    }

    /// <summary>Waits (bounded) until the replica's tree holds <paramref name="size"/> events.</summary>
    private static async Task TreeAtAsync(Api reader, long size)
    {
        var answer = await Poll.UntilAsync(() => reader.GetAsync($"{Api.Events}/proofs/consistency?from={size}&to={size}"),
            a => a.Status == HttpStatusCode.OK);
        Assert.AreEqual(HttpStatusCode.OK, answer.Status, answer.ToString());
    }

    /// <summary>What a database writer who knows the encoding does: a new body, and every hash from there recomputed by the database.</summary>
    private static Task RewriteEventAndRehashAsync(OwnDatabase db, long sequence) => db.ExecuteAsync($"""
        UPDATE kavach_stream_events SET body = replace(body, '"note":"attack"', '"note":"rewritten"') WHERE sequence = {sequence};
        WITH rehashed AS (
            SELECT kavach_chain((SELECT hash FROM kavach_stream_events WHERE sequence = {sequence - 1}), {sequence - 1},
                (SELECT epoch FROM kavach_stream_sequence), (SELECT array_agg(body ORDER BY sequence) FROM kavach_stream_events WHERE sequence >= {sequence})) AS h)
        UPDATE kavach_stream_events e SET hash = (SELECT h FROM rehashed)[e.sequence - {sequence - 1}] WHERE e.sequence >= {sequence};
        UPDATE kavach_stream_sequence SET chain_hashes = ARRAY[(SELECT hash FROM kavach_stream_events ORDER BY sequence DESC LIMIT 1)];
        """);

    /// <summary>Every stored block recomputed from the events as they are now served: leaves, and the subtrees each completes.</summary>
    private static async Task RewriteTreeAsync(OwnDatabase db, Api reader)
    {
        var range = new CompactRange();
        var completed = new byte[64 * MerkleHash.Size];
        var leaves = new List<byte[]>();
        var nodes = new Dictionary<long, byte[]>();
        foreach (var e in await reader.AllPagesAsync())
        {
            var raw = e.GetRawText();
            var leaf = MerkleHash.Leaf(Encoding.UTF8.GetBytes(raw[..raw.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal)] + "}"));
            leaves.Add(leaf);
            var merged = range.Append(leaf, completed);
            if (range.Size % TreeBlock.Capacity == 0)
            {
                nodes[range.Size / TreeBlock.Capacity - 1] = completed[((TreeBlock.Height - 1) * 32)..(merged * 32)];
            }
        }

        await using var connection = await db.OpenAsync();
        await using var rows = new NpgsqlCommand("SELECT block, leaf_count FROM kavach_merkle_blocks", connection);
        var stored = new List<(long Block, int Count)>();
        await using (var read = await rows.ExecuteReaderAsync())
        {
            while (await read.ReadAsync())
            {
                stored.Add((read.GetInt64(0), read.GetInt32(1)));
            }
        }

        Assert.IsNotEmpty(stored, "the tree stored blocks to rewrite");
        foreach (var (block, count) in stored)
        {
            await using var update = new NpgsqlCommand("UPDATE kavach_merkle_blocks SET leaves = $1, nodes = $2 WHERE block = $3 AND leaf_count = $4", connection)
            {
                Parameters =
                {
                    new() { Value = leaves.Skip((int)block * TreeBlock.Capacity).Take(count).SelectMany(l => l).ToArray() },
                    new() { Value = count == TreeBlock.Capacity ? nodes[block] : Array.Empty<byte>() },
                    new() { Value = block },
                    new() { Value = count },
                },
            };
            await update.ExecuteNonQueryAsync();
        }
    }

    private static string Last(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();

    /// <summary>
    /// A database of its own with one replica signing with a key of the attack's, the attack's own signer of tree heads,
    /// and the auditor: a reader's token and the public key, as <c>scripts/verify-chain.cs</c> arguments.
    /// </summary>
    private sealed class AuditedReplica : IDisposable
    {
        private string _token = "";
        private string _keyFile = "";

        public required OwnDatabase Db { get; init; }

        public required Kavach.Processes.ApiReplica Replica { get; init; }

        public required TreeHeads Heads { get; init; }

        public required Api Emitter { get; init; }

        public required Api Reader { get; init; }

        public static async Task<AuditedReplica> StartAsync(string database, string label)
        {
            var db = await OwnDatabase.CreateAsync(Cluster, database);
            using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var pem = signing.ExportPkcs8PrivateKeyPem();
            var replica = await db.StartReplicaAsync(label, TreeHeads.ReplicaSettings(pem));
            var token = Forge.Reader($"{label}-auditor");
            var keyFile = Path.Combine(AttackSettings.WorkRoot, $"merkle-{Guid.NewGuid():N}.pem");
            await File.WriteAllTextAsync(keyFile, signing.ExportSubjectPublicKeyInfoPem());
            return new AuditedReplica
            {
                Db = db, Replica = replica, Heads = new TreeHeads(db, pem), Emitter = new Api(replica.BaseAddress, Forge.Emitter(label)),
                Reader = new Api(replica.BaseAddress, token), _token = token, _keyFile = keyFile,
            };
        }

        public string[] Auditor(string[] more) => ["--api", Replica.BaseAddress.ToString(), "--token", _token, "--key", _keyFile, .. more];

        public void Dispose()
        {
            Heads.Dispose();
            Emitter.Dispose();
            Reader.Dispose();
        }
    }
}
