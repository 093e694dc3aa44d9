using System.Diagnostics;
using System.Net;
using System.Text;
using Kavach.Contracts;
using System.Text.Json;
using Kavach.Processes;
using Kavach.ServiceDefaults.Auth;
using Npgsql;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// Migrations run once per deployment, not once per replica: replicas (real processes) starting on databases that
/// earlier builds created, on a current schema while others serve, and on an old schema while locks are held.
/// </summary>
[TestClass]
public sealed class SchemaMigrationTests
{
    private const long SchemaLockKey = 0x4B61766163680001;
    /// <summary>This build's migrations as "version:name", from their files (the journal a complete upgrade leaves).</summary>
    private static readonly string[] Migrations = [.. Directory
        .EnumerateFiles(Path.Combine(SuiteSettings.RepositoryRoot, "Kavach.StreamApi", "Persistence", "Migrations"), "*.sql")
        .Select(Path.GetFileNameWithoutExtension)
        .Order(StringComparer.Ordinal)
        .Select(file => $"{int.Parse(file![..4], System.Globalization.CultureInfo.InvariantCulture)}:{file[5..]}")];
    private static readonly int LatestVersion = Migrations.Length;
    private static readonly string[] KavachTables = ["kavach_stream_events", "kavach_stream_sequence", "kavach_stream_epochs", "kavach_revocations", "kavach_schema_migrations"];
    private static PostgresServer s_postgres = null!;
    private static string s_logDirectory = null!;
    private static readonly string SigningKey = "migration-signing-key-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        var work = Path.Combine(SuiteSettings.WorkRoot, "migrations");
        s_logDirectory = Path.Combine(SuiteSettings.LogRoot, "migrations");
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(s_logDirectory);
        s_postgres = await PostgresServer.CreateAsync(work, s_logDirectory);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_postgres is not null)
        {
            await s_postgres.DisposeAsync();
        }
    }

    [TestMethod]
    [DataRow("first-release")]
    [DataRow("before-journal")]
    public async Task ADatabaseAnEarlierBuildCreatedIsUpgradedOnceByReplicasStartingTogether(string legacySchema)
    {
        var database = await CreateDatabaseAsync(legacySchema.Replace('-', '_'));
        await ExecuteAsync(database, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Deployment", "LegacySchemas", legacySchema + ".sql")));
        await ExecuteAsync(database, """
            INSERT INTO kavach_stream_events (sequence, id, type, timestamp, data, agent_id)
                SELECT n, 'legacy-' || n, 'agent.created', '2026-11-28T07:55:06.5Z', jsonb_build_object('n', n), 'legacy-agent' FROM generate_series(1, 3) n;
            UPDATE kavach_stream_sequence SET last_value = 3;
            """);

        var replicas = Enumerable.Range(0, 2).Select(i => Replica(database, $"upgrade-{legacySchema}", i)).ToList();
        try
        {
            await Task.WhenAll(replicas.Select(r => r.StartAsync(TimeSpan.FromSeconds(60))));

            var journal = await QueryAsync(database, "SELECT string_agg(version::text || ':' || name, ',' ORDER BY version) FROM kavach_schema_migrations");
            TestContext.WriteLine($"Journal after upgrading '{legacySchema}': {journal}");
            Assert.AreEqual(string.Join(',', Migrations), journal);
            Assert.AreEqual("3", await QueryAsync(database, "SELECT count(*) FROM kavach_stream_events WHERE id LIKE 'legacy-%'"));
            Assert.AreEqual("True", await QueryAsync(database, "SELECT to_regclass('kavach_revocations') IS NOT NULL AND to_regclass('kavach_stream_epochs') IS NOT NULL"));

            using var http = new HttpClient { BaseAddress = replicas[1].BaseAddress };
            http.DefaultRequestHeaders.Authorization = new("Bearer",
                KavachTokens.Issue(SigningKey, "migration-test", [KavachScopes.Emit, KavachScopes.Read], TimeSpan.FromMinutes(5)));
            // Stored as data only, served as the read path built them then: now their stored body.
            using var page = JsonDocument.Parse(await http.GetStringAsync("/api/kavach/events?after=0&limit=3", TestContext.CancellationToken));
            CollectionAssert.AreEqual(
                Enumerable.Range(1, 3).Select(n => $$"""
                    {"id":"legacy-{{n}}","type":"agent.created","timestamp":"2026-11-28T07:55:06.5+00:00","data":{"n":{{n}}},"agentId":"legacy-agent","sequence":{{n}}}
                    """).ToList(),
                page.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetRawText()).ToList());

            using var emitted = await http.PostAsync("/api/kavach/events",
                new StringContent("""{"id":"after-upgrade","type":"agent.created","agentId":"legacy-agent","data":{}}""", Encoding.UTF8, "application/json"),
                TestContext.CancellationToken);
            Assert.AreEqual(HttpStatusCode.Created, emitted.StatusCode, await emitted.Content.ReadAsStringAsync(TestContext.CancellationToken));
            StringAssert.Contains(await emitted.Content.ReadAsStringAsync(TestContext.CancellationToken), "\"sequence\":4");
        }
        finally
        {
            await Task.WhenAll(replicas.Select(r => r.StopAsync()));
        }
    }

    [TestMethod]
    public async Task AReplicaStartingOnACurrentSchemaTakesNoLockThatServingReplicasCouldWaitBehind()
    {
        var database = await CreateDatabaseAsync("current");
        var serving = Replica(database, "current", 0);
        var starting = Replica(database, "current", 1);
        try
        {
            await serving.StartAsync();

            // What serving replicas hold all the time: table locks of reads and writes on every table. Any DDL would wait
            // behind these (and make every later reader wait behind it); the schema advisory lock is held too.
            await using var holder = await OpenAsync(database);
            await using var transaction = await holder.BeginTransactionAsync(TestContext.CancellationToken);
            foreach (var table in KavachTables)
            {
                await ExecuteAsync(holder, $"LOCK TABLE {table} IN ROW EXCLUSIVE MODE", transaction);
            }

            await ExecuteAsync(holder, $"SELECT pg_advisory_xact_lock({SchemaLockKey})", transaction);

            var waiting = 0L;
            using var watching = new CancellationTokenSource();
            var watcher = Task.Run(async () =>
            {
                await using var observer = await OpenAsync(database);
                while (!watching.IsCancellationRequested)
                {
                    await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE NOT granted", observer);
                    waiting = Math.Max(waiting, (long)(await command.ExecuteScalarAsync(CancellationToken.None))!);
                    await Task.Delay(20, CancellationToken.None);
                }
            }, CancellationToken.None);

            var started = await starting.StartAsync(TimeSpan.FromSeconds(45));
            await watching.CancelAsync();
            await watcher;

            TestContext.WriteLine($"A replica started in {started.TotalSeconds:0.0} s on a current schema while every table and the schema lock were held; most lock waits seen: {waiting}");
            Assert.AreEqual(0, waiting, "a starting replica waited for a lock");
            StringAssert.Contains(await File.ReadAllTextAsync(Path.Combine(s_logDirectory, "current-1.log"), TestContext.CancellationToken), "nothing to migrate");
        }
        finally
        {
            await Task.WhenAll(serving.StopAsync(), starting.StopAsync());
        }
    }

    [TestMethod]
    public async Task AMigrationThatCannotGetItsLockGivesUpWithinLockTimeoutAndRetriesLater()
    {
        var database = await CreateDatabaseAsync("blocked");
        await ExecuteAsync(database, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Deployment", "LegacySchemas", "first-release.sql")));
        var replica = Replica(database, "blocked", 0, lockTimeout: TimeSpan.FromSeconds(1));

        await using (var reader = await OpenAsync(database))
        {
            // A long read holds its table: the upgrade's ALTER TABLE cannot get ACCESS EXCLUSIVE while it lasts.
            await using var transaction = await reader.BeginTransactionAsync(TestContext.CancellationToken);
            await ExecuteAsync(reader, "SELECT count(*) FROM kavach_stream_events", transaction);

            var starting = replica.StartAsync(TimeSpan.FromSeconds(60));
            var slowest = TimeSpan.Zero;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(6))
            {
                // Other readers go on: a DDL statement waiting for its lock would queue them all behind it, but it gives up after lock_timeout.
                var read = Stopwatch.StartNew();
                await QueryAsync(database, "SELECT count(*) FROM kavach_stream_events");
                slowest = read.Elapsed > slowest ? read.Elapsed : slowest;
                await Task.Delay(50, TestContext.CancellationToken);
            }

            Assert.IsFalse(starting.IsCompleted, "the replica reported ready with its migration blocked");
            Assert.IsTrue(slowest < TimeSpan.FromSeconds(2.5), $"a reader waited {slowest} behind the migration");
            TestContext.WriteLine($"While the migration was blocked, the slowest concurrent read took {slowest.TotalMilliseconds:0} ms (lock_timeout 1 s)");
            await transaction.RollbackAsync(TestContext.CancellationToken);

            try
            {
                await starting;
            }
            finally
            {
                await replica.StopAsync();
            }
        }

        StringAssert.Contains(await File.ReadAllTextAsync(Path.Combine(s_logDirectory, "blocked-0.log"), TestContext.CancellationToken), "retrying");
        Assert.AreEqual(LatestVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), await QueryAsync(database, "SELECT max(version) FROM kavach_schema_migrations"));
    }

    private static ApiReplica Replica(string database, string label, int index, TimeSpan? lockTimeout = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__kavachdb"] = s_postgres.ConnectionStringFor(database),
            ["Kavach__Auth__SigningKey"] = SigningKey,
            ["Logging__Console__FormatterName"] = "simple",
        };
        if (lockTimeout is { } timeout)
        {
            settings["Kavach__Database__LockTimeout"] = timeout.ToString("c");
        }

        return new ApiReplica(index, SuiteSettings.StreamApiAssembly, settings, s_logDirectory, label);
    }

    private static async Task<string> CreateDatabaseAsync(string name)
    {
        var database = $"kavach_{name}_{Guid.NewGuid():N}"[..40];
        await s_postgres.CreateDatabaseAsync(database);
        return database;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var connection = new NpgsqlConnection(s_postgres.ConnectionStringFor(database));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await ExecuteAsync(connection, sql);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> QueryAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
