using Kavach.AttackTests.Harness;
using Kavach.Contracts;
using Kavach.Processes;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Retention that cannot finish a sweep, and retention beside another replica that is sweeping: what was removed stays
/// removed, what remains verifies, and one replica sweeps at a time. Each on a database of its own.
/// </summary>
[TestClass]
public sealed class RetentionAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    /// <summary>
    /// A sweep that cannot finish within the statement timeout — in production an hour's backlog of a busy stream
    /// against 15 s; here, deterministically, a row another transaction holds locked — keeps what it removed up to
    /// there: each batch is its own short transaction. One DELETE for the whole backlog removes nothing, every time.
    /// Once the row is free the rest goes, and what remains verifies from the anchor.
    /// </summary>
    [TestMethod]
    public async Task RetentionKeepsWhatItRemovedWhenASweepCannotFinish()
    {
        const int Backlog = 20_000;
        const long Locked = 15_000;
        // Every batch before the one that holds the locked event.
        var batch = new StreamOptions().RetentionBatchSize;
        var removable = (Locked - 1) / batch * batch;
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_retention");
        var writer = await db.StartReplicaAsync("rare-retention-writer", OldCheckpoint.Settings);
        using var emitter = new Api(writer.BaseAddress, Forge.Emitter("rare-retention"));
        for (var i = 0; i < Backlog / 1000; i++)
        {
            await emitter.EmitOkAsync([.. Enumerable.Range(0, 1000).Select(_ => Api.Event("audit", agentId: "backlog"))]);
        }

        var fresh = await emitter.EmitOkAsync([.. Enumerable.Range(0, 10).Select(_ => Api.Event("audit", agentId: "fresh"))]);
        await db.ExecuteAsync("UPDATE kavach_stream_events SET committed_at = now() - interval '2 minutes' WHERE sequence <= $1", (long)Backlog);
        await OldCheckpoint.AddAsync(db, Backlog, TimeSpan.FromMinutes(2));

        long held;
        ApiReplica pruner;
        await using (var holder = await db.OpenAsync())
        await using (var transaction = await holder.BeginTransactionAsync())
        {
            await using (var lockRow = new Npgsql.NpgsqlCommand("SELECT 1 FROM kavach_stream_events WHERE sequence = $1 FOR UPDATE", holder, transaction))
            {
                lockRow.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Locked });
                await lockRow.ExecuteNonQueryAsync();
            }

            pruner = await db.StartReplicaAsync("rare-retention-pruner", new Dictionary<string, string>(OldCheckpoint.Settings)
            {
                ["Kavach__Stream__Retention"] = "00:01:00",
                ["Kavach__Stream__RetentionSweepInterval"] = "00:00:01",
                ["Kavach__Database__StatementTimeout"] = "00:00:00.100",
            });
            held = await Poll.UntilAsync(() => db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events"), count => count == Backlog + fresh.Length - removable);
        }

        var left = await Poll.UntilAsync(() => db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events"), count => count == fresh.Length);
        using var reader = new Api(pruner.BaseAddress, Forge.Reader("rare-retention-verifier"));
        var report = await reader.GetAsync($"{Api.Events}/verify");
        Findings.Record($"retention of {Backlog:N0} aged events, #{Locked} locked by another transaction, 100 ms statement timeout",
            $"{Backlog + fresh.Length - held:N0} removed while the row was locked, {left:N0} left after it was freed (10 are within the window); verify: {ChainVerdict.Of(report)}");
        Assert.AreEqual(Backlog + fresh.Length - removable, held, "every batch before the one holding the locked event is removed");
        Assert.AreEqual(fresh.Length, left);
        Assert.IsTrue(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsTrue(report.Json.GetProperty("startsAtRetention").GetBoolean(), report.ToString());
        Assert.AreEqual((long)Backlog, await db.ScalarAsync<long>("SELECT sequence FROM kavach_chain_anchor"));

        // A reader whose cursor retention passed is told so, in the stream's epoch.
        await using var stream = await RawStream.OpenAsync(pruner.BaseAddress, Forge.Reader("rare-retention-reader"), lastEventId: "1");
        var resync = (await stream.CollectUntilAsync(f => f.Type == StreamFrameNames.Resync, Poll.Bound)).Last();
        Assert.AreEqual(ResyncReasons.CursorExpired, resync.Json.GetProperty("reason").GetString(), resync.Data);
        Assert.AreEqual(1, resync.Json.GetProperty("epoch").GetInt64(), resync.Data);
    }

    /// <summary>While another session holds the retention lock (another replica sweeping), a replica skips its sweep.</summary>
    [TestMethod]
    public async Task RetentionSweepsOnOneReplicaAtATime()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_retention_lock");
        var replica = await db.StartReplicaAsync("rare-retention-lock", new Dictionary<string, string>(OldCheckpoint.Settings)
        {
            ["Kavach__Stream__Retention"] = "00:01:00",
            ["Kavach__Stream__RetentionSweepInterval"] = "00:00:01",
        });
        using var emitter = new Api(replica.BaseAddress, Forge.Emitter("rare-retention-lock"));
        await emitter.EmitOkAsync([.. Enumerable.Range(0, 20).Select(_ => Api.Event("audit", agentId: "locked-out"))]);

        long kept;
        await using (var sweeping = await db.OpenAsync())
        {
            await using (var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock($1)", sweeping))
            {
                take.Parameters.Add(new Npgsql.NpgsqlParameter { Value = RetentionStore.LockKey });
                await take.ExecuteNonQueryAsync();
            }

            var (skippedBefore, removedBefore) = (Logged(replica, "Retention sweep skipped"), Logged(replica, "Retention removed"));
            await db.ExecuteAsync("UPDATE kavach_stream_events SET committed_at = now() - interval '2 minutes'");
            await OldCheckpoint.AddAsync(db, 20, TimeSpan.FromMinutes(2));
            // Two skipped turns after the events aged (at least one of them started after they had), or a sweep.
            await Poll.UntilAsync(
                () => Task.FromResult((Skipped: Logged(replica, "Retention sweep skipped") - skippedBefore, Swept: Logged(replica, "Retention removed") - removedBefore)),
                turns => turns.Skipped >= 2 || turns.Swept > 0);
            kept = await db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events");
        }

        var left = await Poll.UntilAsync(() => db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events"), count => count == 0);
        Findings.Record("retention while another replica holds the retention lock",
            $"{kept} of 20 aged events kept while it was held; {left} left once it was released");
        Assert.AreEqual(20, kept, "nothing is pruned while another replica sweeps");
        Assert.AreEqual(0, left);
    }

    /// <summary>Lines of the replica's log (which earlier runs may have written to as well) that hold <paramref name="text"/>.</summary>
    private static int Logged(ApiReplica replica, string text) =>
        replica.LogTail(int.MaxValue).Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));
}
