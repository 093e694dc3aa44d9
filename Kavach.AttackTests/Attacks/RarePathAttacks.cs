using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Kavach.AttackTests.Harness;
using Kavach.Client;
using Kavach.Contracts;
using Kavach.Processes;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Persistence.Migrations;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Wrong answers on rare paths, which teach people to ignore alarms or leave readers silent: verification past the
/// head, an epoch begun below the old head, a database from before the chain, a stream whose epoch went back (a
/// reset), and retention under a backlog and beside another replica. What changes the stream runs on a database of
/// its own (<see cref="OwnDatabase"/>).
/// </summary>
[TestClass]
public sealed class RarePathAttacks
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static AttackCluster Cluster => AttackSuite.Cluster;

    [TestMethod]
    public async Task VerifyingPastTheHeadIsNoBreak()
    {
        using var reader = new Api(Cluster.Replicas[0].BaseAddress, Forge.Reader("rare-verifier"));
        var head = await Cluster.ScalarAsync<long>("SELECT last_value FROM kavach_stream_sequence");

        var answer = await reader.GetAsync($"{Api.Events}/verify?from={head + 10}");

        Findings.Record("GET /verify?from=<head + 10>", Verdict(answer));
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
            $"epoch {epoch} starts after #{startsAfter}, events {string.Join(",", kept)} in the old one, #{next[0]} in the new: {Verdict(report)}");
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
        Findings.Record("verify a database upgraded from before the chain (events 1–8 pruned then, 9–20 without hashes)", Verdict(report));
        Assert.IsTrue(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.AreEqual(12, report.Json.GetProperty("unchained").GetInt64(), report.ToString());
        Assert.AreEqual(2, report.Json.GetProperty("checked").GetInt64(), report.ToString());
    }

    [TestMethod]
    public async Task EveryResyncSaysTheStreamsEpoch()
    {
        await using var stream = await RawStream.OpenAsync(Cluster.Replicas[0].BaseAddress, Forge.Reader("rare-resync"), lastEventId: "7:999999999");
        var frames = await stream.CollectUntilAsync(f => f.Type == StreamFrameNames.Resync, Bound);

        var connected = frames.First(f => f.Type == StreamFrameNames.Connected).Json.GetProperty("epoch").GetInt64();
        var resync = frames.LastOrDefault(f => f.Type == StreamFrameNames.Resync);
        Findings.Record("resume at 7:999999999 (a cursor from before a reset)", resync is null ? "no resync" : $"resync {resync.Data}");
        Assert.IsNotNull(resync);
        Assert.IsTrue(resync.Json.TryGetProperty("epoch", out var epoch), resync.Data);
        Assert.AreEqual(connected, epoch.GetInt64());
    }

    /// <summary>
    /// A client that followed a stream to epoch 7 meets a database that was reset (here: a new one, or a cold restore
    /// that no replica saw): epoch 1 again, lower sequences. It must deliver what is committed there, not drop it as old.
    /// </summary>
    [TestMethod]
    public async Task TheClientFollowsAStreamWhoseEpochWentBack()
    {
        var marker = $"after-reset-{Guid.NewGuid():N}";
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_reset");
        var replica = await db.StartReplicaAsync("rare-reset");
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new KavachClient(http, new KavachClientOptions
        {
            BaseAddress = replica.BaseAddress,
            AccessTokenProvider = _ => ValueTask.FromResult<string?>(Forge.Reader("rare-client")),
        });
        using var stop = new CancellationTokenSource(Bound);
        var items = new List<StreamItem>();
        var resynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in client.Stream(new StreamRequest { After = "7:999999999" }).WithCancellation(stop.Token))
                {
                    items.Add(item);
                    if (item is Resync)
                    {
                        resynced.TrySetResult();
                    }

                    if (item is KavachEvent { AgentId: var agent } && agent == marker)
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        await resynced.Task.WaitAsync(Bound);
        using var emitter = new Api(replica.BaseAddress, Forge.Emitter("rare-client"));
        var emitted = await emitter.EmitOkAsync(Api.Event("audit", agentId: marker));
        var watch = Stopwatch.StartNew();
        await reading;

        var delivered = items.OfType<KavachEvent>().Any(e => e.AgentId == marker);
        Findings.Record("Kavach.Client resuming at 7:999999999 on a stream in epoch 1",
            delivered ? $"delivered the next event (#{emitted[0]})" : $"delivered nothing in {watch.Elapsed.TotalSeconds:0} s after #{emitted[0]} was committed");
        Assert.IsTrue(delivered, string.Join(", ", items.Select(i => i.GetType().Name)));
    }

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
        var writer = await db.StartReplicaAsync("rare-retention-writer");
        using var emitter = new Api(writer.BaseAddress, Forge.Emitter("rare-retention"));
        for (var i = 0; i < Backlog / 1000; i++)
        {
            await emitter.EmitOkAsync([.. Enumerable.Range(0, 1000).Select(_ => Api.Event("audit", agentId: "backlog"))]);
        }

        var fresh = await emitter.EmitOkAsync([.. Enumerable.Range(0, 10).Select(_ => Api.Event("audit", agentId: "fresh"))]);
        await db.ExecuteAsync("UPDATE kavach_stream_events SET committed_at = now() - interval '2 minutes' WHERE sequence <= $1", (long)Backlog);

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

            pruner = await db.StartReplicaAsync("rare-retention-pruner", new Dictionary<string, string>
            {
                ["Kavach__Stream__Retention"] = "00:01:00",
                ["Kavach__Stream__RetentionSweepInterval"] = "00:00:01",
                ["Kavach__Database__StatementTimeout"] = "00:00:00.100",
            });
            held = await WaitForAsync(() => db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events"), count => count == Backlog + fresh.Length - removable);
        }

        var left = await WaitForAsync(() => db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events"), count => count == fresh.Length);
        using var reader = new Api(pruner.BaseAddress, Forge.Reader("rare-retention-verifier"));
        var report = await reader.GetAsync($"{Api.Events}/verify");
        Findings.Record($"retention of {Backlog:N0} aged events, #{Locked} locked by another transaction, 100 ms statement timeout",
            $"{Backlog + fresh.Length - held:N0} removed while the row was locked, {left:N0} left after it was freed (10 are within the window); verify: {Verdict(report)}");
        Assert.AreEqual(Backlog + fresh.Length - removable, held, "every batch before the one holding the locked event is removed");
        Assert.AreEqual(fresh.Length, left);
        Assert.IsTrue(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsTrue(report.Json.GetProperty("startsAtRetention").GetBoolean(), report.ToString());
        Assert.AreEqual((long)Backlog, await db.ScalarAsync<long>("SELECT sequence FROM kavach_chain_anchor"));

        // A reader whose cursor retention passed is told so, in the stream's epoch.
        await using var stream = await RawStream.OpenAsync(pruner.BaseAddress, Forge.Reader("rare-retention-reader"), lastEventId: "1");
        var resync = (await stream.CollectUntilAsync(f => f.Type == StreamFrameNames.Resync, Bound)).Last();
        Assert.AreEqual(ResyncReasons.CursorExpired, resync.Json.GetProperty("reason").GetString(), resync.Data);
        Assert.AreEqual(1, resync.Json.GetProperty("epoch").GetInt64(), resync.Data);
    }

    /// <summary>While another session holds the retention lock (another replica sweeping), a replica skips its sweep.</summary>
    [TestMethod]
    public async Task RetentionSweepsOnOneReplicaAtATime()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_retention_lock");
        var replica = await db.StartReplicaAsync("rare-retention-lock", new Dictionary<string, string>
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
            // Two skipped turns after the events aged (at least one of them started after they had), or a sweep.
            await WaitForAsync(
                () => Task.FromResult((Skipped: Logged(replica, "Retention sweep skipped") - skippedBefore, Swept: Logged(replica, "Retention removed") - removedBefore)),
                turns => turns.Skipped >= 2 || turns.Swept > 0);
            kept = await db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events");
        }

        var left = await WaitForAsync(() => db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events"), count => count == 0);
        Findings.Record("retention while another replica holds the retention lock",
            $"{kept} of 20 aged events kept while it was held; {left} left once it was released");
        Assert.AreEqual(20, kept, "nothing is pruned while another replica sweeps");
        Assert.AreEqual(0, left);
    }

    /// <summary>
    /// Verification of the whole stored range while events are committed and retention removes the oldest a batch at a
    /// time: a commit landing after the head was read, or a batch after the oldest event was found, is not a break.
    /// </summary>
    [TestMethod]
    public async Task VerifyingWhileEventsAreCommittedAndPrunedFindsNoBreak()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_verify_race");
        var writer = await db.StartReplicaAsync("rare-race-writer");
        using var emitter = new Api(writer.BaseAddress, Forge.Emitter("rare-race"));
        for (var i = 0; i < 10; i++)
        {
            await emitter.EmitOkAsync([.. Enumerable.Range(0, 1000).Select(_ => Api.Event("audit", agentId: "aged"))]);
        }

        await db.ExecuteAsync("UPDATE kavach_stream_events SET committed_at = now() - interval '2 minutes'");
        var pruner = await db.StartReplicaAsync("rare-race-pruner", new Dictionary<string, string>
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
        var deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline && (verdicts.Count < 20 || await db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events WHERE agent_id = 'aged'") > 0))
        {
            verdicts.Add(Verdict(await reader.GetAsync($"{Api.Events}/verify")));
        }

        await stop.CancelAsync();
        await emitting;
        var broken = verdicts.Where(v => !v.StartsWith("valid:true", StringComparison.Ordinal)).ToList();
        Findings.Record("GET /verify in a loop while events are committed and 10,000 are pruned 100 at a time",
            $"{verdicts.Count - broken.Count} of {verdicts.Count} valid{(broken.Count > 0 ? "; " + string.Join("; ", broken.Distinct().Take(3)) : "")}");
        Assert.IsEmpty(broken);
    }

    /// <summary>Lines of the replica's log (which earlier runs may have written to as well) that hold <paramref name="text"/>.</summary>
    private static int Logged(ApiReplica replica, string text) =>
        replica.LogTail(int.MaxValue).Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds or <see cref="Bound"/> passes; the last value.</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + Bound;
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            value = await read();
        }

        return value;
    }

    private static string Verdict(Answer answer)
    {
        if (answer.Status != HttpStatusCode.OK)
        {
            return $"{(int)answer.Status}";
        }

        var root = answer.Json;
        return root.TryGetProperty("break", out var broken) && broken.ValueKind == JsonValueKind.Object
            ? $"valid:false, {broken.GetProperty("kind").GetString()} at #{broken.GetProperty("sequence").GetInt64()}"
            : $"valid:true, {root.GetProperty("checked").GetInt64()} checked, {root.GetProperty("unchained").GetInt64()} unchained";
    }
}
