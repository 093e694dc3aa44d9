using Kavach.AttackTests.Harness;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Whoever holds the service's own connection string — a leaked setting, a dumped environment, a query the service can
/// be tricked into — against the log it is evidence in: with those credentials nothing stored can be changed or deleted,
/// retention cannot be made to remove young events, and the schema cannot be changed (docs/integrity.md, "Least
/// privilege"). Every statement is rolled back, whatever it managed.
/// </summary>
[TestClass]
public sealed class DatabaseRoleAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    [TestMethod]
    public async Task TheServicesCredentialsCannotChangeOrDeleteWhatIsStored()
    {
        await EnsureCheckpointAsync();
        (string What, string Sql)[] statements =
        [
            ("rewrite an event", "UPDATE kavach_stream_events SET body = replace(body, 'audit', 'audit') WHERE sequence = (SELECT max(sequence) FROM kavach_stream_events)"),
            ("age every event", "UPDATE kavach_stream_events SET committed_at = committed_at - interval '30 days'"),
            ("delete an event", "DELETE FROM kavach_stream_events WHERE sequence = (SELECT max(sequence) FROM kavach_stream_events)"),
            ("truncate the events", "TRUNCATE kavach_stream_events"),
            ("rewrite checkpoints", "UPDATE kavach_checkpoints SET signature = signature"),
            ("delete checkpoints", "DELETE FROM kavach_checkpoints"),
            ("rewrite keys", "UPDATE kavach_checkpoint_keys SET public_key = public_key"),
            ("delete keys", "DELETE FROM kavach_checkpoint_keys"),
            ("forge the anchor", "INSERT INTO kavach_chain_anchor (singleton, sequence, hash) VALUES (true, 1, NULL) ON CONFLICT (singleton) DO UPDATE SET sequence = 1"),
            ("delete revocations", "DELETE FROM kavach_revocations"),
            ("rewrite epochs", "UPDATE kavach_stream_epochs SET chain_starts_after = 0"),
            ("reset the stream's identity", "UPDATE kavach_stream_sequence SET epoch = epoch, stream_id = stream_id"),
        ];

        await using var service = await Cluster.OpenAsServiceAsync();
        var outcomes = new List<(string What, string Outcome)>();
        foreach (var (what, sql) in statements)
        {
            outcomes.Add((what, await AsService.TryAsync(service, sql)));
        }

        Findings.Record("with the service's own credentials: UPDATE, DELETE, TRUNCATE of events, checkpoints, keys, the anchor, revocations, epochs",
            string.Join("; ", outcomes.Select(o => $"{o.What}: {o.Outcome}")));
        foreach (var (what, outcome) in outcomes)
        {
            Assert.IsTrue(AsService.Refused(outcome), $"{what}: {outcome}");
        }
    }

    /// <summary>
    /// Retention's one way to delete, given every argument it takes, on a database whose owner keeps events 7 days: events
    /// aged 3 days and an hour stay, whatever the service asks; events older than the owner's period go, and only those.
    /// </summary>
    [TestMethod]
    public async Task TheRetentionPathCannotDeleteYoungEventsWhateverItIsGiven()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "roles_retention", ownerRetention: TimeSpan.FromDays(7));
        var replica = await db.StartReplicaAsync("roles-retention");
        using var emitter = new Api(replica.BaseAddress, Forge.Emitter("roles-retention"));
        await emitter.EmitOkAsync([.. Enumerable.Range(0, 30).Select(_ => Api.Event("audit", agentId: "kept"))]);
        await db.ExecuteAsync("""
            UPDATE kavach_stream_events SET committed_at = now() - interval '3 days' WHERE sequence <= 10;
            UPDATE kavach_stream_events SET committed_at = now() - interval '1 hour' WHERE sequence > 10 AND sequence <= 20;
            """);

        await using var service = await Cluster.OpenAsServiceAsync(db.Name);
        var attempts = new List<string>();
        foreach (var olderThan in new[] { "interval '0'", "interval '-100 years'", "NULL", "interval '1 microsecond'" })
        {
            attempts.Add(await PruneAsync(service, olderThan));
        }

        attempts.Add(await AsService.TryAsync(service, "DELETE FROM kavach_stream_events WHERE sequence <= 20"));
        var left = await db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events");

        await db.ExecuteAsync("UPDATE kavach_stream_events SET committed_at = now() - interval '8 days' WHERE sequence <= 5");
        var old = await PruneAsync(service, "interval '0'");
        var afterOld = await db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events");
        var anchor = await db.ScalarAsync<long>("SELECT coalesce((SELECT sequence FROM kavach_chain_anchor), 0)");
        Findings.Record("retention's path with the service's credentials, older_than 0, -100 years, NULL, 1 µs, then a plain DELETE; events 3 days and 1 hour old, the owner keeps 7 days",
            $"{string.Join("; ", attempts)}: {left} of 30 left. Five events aged 8 days: {old}, {afterOld} left, anchor at #{anchor}");
        Assert.AreEqual(30, left, string.Join("\n", attempts));
        Assert.AreEqual(25, afterOld, "events older than the owner's period, and only those, go");
        Assert.AreEqual(5, anchor);
    }

    /// <summary>One committed call of retention's function, as a sweep makes it.</summary>
    private static async Task<string> PruneAsync(Npgsql.NpgsqlConnection service, string olderThan)
    {
        try
        {
            await using var prune = new Npgsql.NpgsqlCommand(
                $"SELECT deleted FROM kavach_prune_events({olderThan}, 9223372036854775807, 100000)", service);
            return $"{await prune.ExecuteScalarAsync()} deleted";
        }
        catch (Npgsql.PostgresException e)
        {
            return $"refused ({e.SqlState}: {e.MessageText})";
        }
    }

    [TestMethod]
    public async Task TheServicesCredentialsCannotChangeTheSchema()
    {
        (string What, string Sql)[] statements =
        [
            ("create a table", "CREATE TABLE kavach_shadow (sequence bigint)"),
            ("add a column", "ALTER TABLE kavach_stream_events ADD COLUMN shadow text"),
            ("drop the checkpoints", "DROP TABLE kavach_checkpoints"),
            ("replace retention's function", """
                CREATE OR REPLACE FUNCTION kavach_prune_events(older_than interval, up_to_sequence bigint, batch_size integer)
                    RETURNS TABLE (deleted integer, last_deleted bigint) LANGUAGE sql AS 'SELECT 0, NULL::bigint'
                """),
            ("make it run as the caller", "ALTER FUNCTION kavach_prune_events(interval, bigint, integer) SECURITY INVOKER"),
            ("create a function", "CREATE FUNCTION kavach_shadow() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
            // A GRANT its role may not give only warns: this says whether it took.
            ("grant itself UPDATE and DELETE", """
                DO $$ BEGIN
                    GRANT UPDATE, DELETE ON kavach_stream_events TO CURRENT_USER;
                    IF NOT has_table_privilege('kavach_stream_events', 'UPDATE') THEN
                        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'GRANT UPDATE, DELETE ON kavach_stream_events: no privileges were granted';
                    END IF;
                END $$
                """),
            ("shorten the retention minimum", "UPDATE kavach_retention_policy SET min_age = interval '1 minute'"),
            ("empty the grant list", "DELETE FROM kavach_app_grants"),
            ("become a superuser", "ALTER ROLE CURRENT_USER SUPERUSER"),
            ("create a role", "CREATE ROLE kavach_shadow LOGIN"),
        ];

        await using var service = await Cluster.OpenAsServiceAsync();
        var outcomes = new List<(string What, string Outcome)>();
        foreach (var (what, sql) in statements)
        {
            outcomes.Add((what, await AsService.TryAsync(service, sql)));
        }

        Findings.Record("with the service's own credentials: DDL, grants, the retention minimum, roles",
            string.Join("; ", outcomes.Select(o => $"{o.What}: {o.Outcome}")));
        foreach (var (what, outcome) in outcomes)
        {
            Assert.IsTrue(AsService.Refused(outcome), $"{what}: {outcome}");
        }
    }

    /// <summary>A checkpoint and a listed key on the shared database, so that the statements have rows to change.</summary>
    private static async Task EnsureCheckpointAsync()
    {
        using var emitter = new Api(Cluster.Replicas[0].BaseAddress, Forge.Emitter("roles-setup"));
        await emitter.EmitOkAsync(Api.Event("audit", agentId: "roles-setup"));
        await Poll.UntilAsync(() => Cluster.ScalarAsync<long>("SELECT count(*) FROM kavach_checkpoints"), count => count > 0);
    }
}
