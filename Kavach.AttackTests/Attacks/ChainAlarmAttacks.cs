using System.Net;
using Kavach.AttackTests.Harness;
using Kavach.StreamApi.Persistence.Migrations;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// False chain alarms — wrong answers that teach people to ignore the real ones: verification past the head, after an
/// epoch begun below the database's head, on a database from before the chain, and while events are committed and
/// pruned. What changes the stream runs on a database of its own (<see cref="OwnDatabase"/>).
/// </summary>
[TestClass]
public sealed class ChainAlarmAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    [TestMethod]
    public async Task VerifyingPastTheHeadIsNoBreak()
    {
        using var reader = new Api(Cluster.Replicas[0].BaseAddress, Forge.Reader("rare-verifier"));
        var head = await Cluster.ScalarAsync<long>("SELECT last_value FROM kavach_stream_sequence");

        var answer = await reader.GetAsync($"{Api.Events}/verify?from={head + 10}");

        Findings.Record("GET /verify?from=<head + 10>", ChainVerdict.Of(answer));
        Assert.AreEqual(HttpStatusCode.OK, answer.Status, answer.ToString());
        Assert.IsTrue(answer.Json.GetProperty("valid").GetBoolean(), answer.ToString());
        Assert.AreEqual(0, answer.Json.GetProperty("checked").GetInt64());
    }

    /// <summary>
    /// A restore takes the database back to sequence 5; a replica that never saw the lost history commits 6–8 on it (in
    /// the old epoch: nothing has noticed yet); then the replica that delivered the lost 6–10 notices and begins epoch 2
    /// after 5, the last event both histories share — below the database's head, 8.
    /// </summary>
    [TestMethod]
    public async Task AnEpochBegunBelowTheDatabasesHeadVerifies()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_epoch");
        // It looks at PostgreSQL only when its own emit finds the database behind what it delivered.
        var witness = await db.StartReplicaAsync("rare-epoch-witness", new Dictionary<string, string>
        {
            ["Kavach__Stream__CatchUpInterval"] = "01:00:00",
        });
        using var atWitness = new Api(witness.BaseAddress, Forge.Emitter("rare-epoch"));
        await atWitness.EmitOkAsync([.. Enumerable.Range(0, 10).Select(i => Api.Event("audit", agentId: $"lost-{i}"))]);

        await db.ExecuteAsync("""
            DELETE FROM kavach_stream_events WHERE sequence > 5;
            DELETE FROM kavach_checkpoints WHERE sequence > 5;
            UPDATE kavach_stream_sequence SET last_value = 5, chain_hashes = ARRAY[(SELECT hash FROM kavach_stream_events WHERE sequence = 5)];
            """);
        var newcomer = await db.StartReplicaAsync("rare-epoch-newcomer");
        using var atNewcomer = new Api(newcomer.BaseAddress, Forge.Emitter("rare-epoch"));
        var kept = await atNewcomer.EmitOkAsync([.. Enumerable.Range(0, 3).Select(i => Api.Event("audit", agentId: $"new-{i}"))]);
        var next = await atWitness.EmitOkAsync(Api.Event("audit", agentId: "after-the-epoch"));

        using var reader = new Api(witness.BaseAddress, Forge.Reader("rare-epoch-verifier"));
        var report = await reader.GetAsync($"{Api.Events}/verify");
        var epoch = await db.ScalarAsync<long>("SELECT epoch FROM kavach_stream_sequence");
        var startsAfter = await db.ScalarAsync<long>("SELECT starts_after FROM kavach_stream_epochs WHERE epoch = $1", epoch);
        Findings.Record("epoch begun after #5 while the database's head was #8 (restore, then commits nobody had seen)",
            $"epoch {epoch} starts after #{startsAfter}, events {string.Join(",", kept)} in the old one, #{next[0]} in the new: {ChainVerdict.Of(report)}");
        CollectionAssert.AreEqual(new long[] { 6, 7, 8 }, kept);
        Assert.AreEqual(5, startsAfter, "the scenario: an epoch that starts below the database's head");
        Assert.IsTrue(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.AreEqual(9, report.Json.GetProperty("checked").GetInt64(), report.ToString());

        // Where each epoch's hashing starts is on the checkpoints endpoint, for verifiers outside the server.
        var listed = (await reader.GetAsync($"{Api.Events}/checkpoints")).Json.GetProperty("epochs").EnumerateArray()
            .Single(e => e.GetProperty("epoch").GetInt64() == epoch);
        Assert.AreEqual(8, listed.GetProperty("chainStartsAfter").GetInt64(), listed.ToString());

        // A database upgraded with such an epoch already in it: the migration works the start out from the stored hashes.
        await db.ExecuteAsync("UPDATE kavach_stream_epochs SET chain_starts_after = NULL");
        await db.ExecuteAsync(SchemaMigration.All.Single(m => m.Name == "epoch_chain_starts").Sql);
        Assert.AreEqual(8, await db.ScalarAsync<long>("SELECT chain_starts_after FROM kavach_stream_epochs WHERE epoch = $1", epoch));
    }

    /// <summary>
    /// A database from before the chain (schema 1–4): events without hashes, the oldest of them pruned by the retention of
    /// that time, which kept no anchor. Upgraded, it chains what is emitted from then on.
    /// </summary>
    [TestMethod]
    public async Task ADatabaseFromBeforeTheChainVerifies()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_legacy");
        foreach (var migration in SchemaMigration.All.Where(m => m.Version <= 4))
        {
            await db.ExecuteAsync(migration.Sql);
        }

        await db.ExecuteAsync("""
            INSERT INTO kavach_stream_events (sequence, id, type, timestamp, data, agent_id)
                SELECT g, 'legacy-' || g, 'audit', now(), '{"before":"the chain"}', 'legacy-agent' FROM generate_series(1, 20) g;
            UPDATE kavach_stream_sequence SET last_value = 20;
            DELETE FROM kavach_stream_events WHERE sequence <= 8;
            """);
        var replica = await db.StartReplicaAsync("rare-legacy");
        using var emitter = new Api(replica.BaseAddress, Forge.Emitter("rare-legacy"));
        await emitter.EmitOkAsync(Api.Event("audit", agentId: "chained"), Api.Event("audit", agentId: "chained"));

        using var reader = new Api(replica.BaseAddress, Forge.Reader("rare-legacy-verifier"));
        var report = await reader.GetAsync($"{Api.Events}/verify");
        Findings.Record("verify a database upgraded from before the chain (events 1–8 pruned then, 9–20 without hashes)", ChainVerdict.Of(report));
        Assert.IsTrue(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.AreEqual(12, report.Json.GetProperty("unchained").GetInt64(), report.ToString());
        Assert.AreEqual(2, report.Json.GetProperty("checked").GetInt64(), report.ToString());
    }

    /// <summary>
    /// Verification of the whole stored range while events are committed and retention removes the oldest a batch at a
    /// time: a commit landing after the head was read, or a batch after the oldest event was found, is not a break.
    /// </summary>
    [TestMethod]
    public async Task VerifyingWhileEventsAreCommittedAndPrunedFindsNoBreak()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_verify_race");
        var writer = await db.StartReplicaAsync("rare-race-writer", OldCheckpoint.Settings);
        using var emitter = new Api(writer.BaseAddress, Forge.Emitter("rare-race"));
        for (var i = 0; i < 10; i++)
        {
            await emitter.EmitOkAsync([.. Enumerable.Range(0, 1000).Select(_ => Api.Event("audit", agentId: "aged"))]);
        }

        await db.ExecuteAsync("UPDATE kavach_stream_events SET committed_at = now() - interval '2 minutes'");
        await OldCheckpoint.AddAsync(db, 10_000, TimeSpan.FromMinutes(2));
        var pruner = await db.StartReplicaAsync("rare-race-pruner", new Dictionary<string, string>(OldCheckpoint.Settings)
        {
            ["Kavach__Stream__Retention"] = "00:01:00",
            ["Kavach__Stream__RetentionSweepInterval"] = "00:00:01",
            ["Kavach__Stream__RetentionBatchSize"] = "100",
        });

        using var stop = new CancellationTokenSource();
        var emitting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await emitter.EmitOkAsync(Api.Event("audit", agentId: "fresh"));
            }
        });
        using var reader = new Api(pruner.BaseAddress, Forge.Reader("rare-race-verifier"));
        var verdicts = new List<string>();
        var deadline = DateTime.UtcNow + Poll.Bound;
        while (DateTime.UtcNow < deadline && (verdicts.Count < 20 || await db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events WHERE agent_id = 'aged'") > 0))
        {
            verdicts.Add(ChainVerdict.Of(await reader.GetAsync($"{Api.Events}/verify")));
        }

        await stop.CancelAsync();
        await emitting;
        var broken = verdicts.Where(v => !v.StartsWith("valid:true", StringComparison.Ordinal)).ToList();
        Findings.Record("GET /verify in a loop while events are committed and 10,000 are pruned 100 at a time",
            $"{verdicts.Count - broken.Count} of {verdicts.Count} valid{(broken.Count > 0 ? "; " + string.Join("; ", broken.Distinct().Take(3)) : "")}");
        Assert.IsEmpty(broken);
    }
}
