using System.Net;
using System.Text;
using Kavach.Contracts;
using Kavach.Processes;
using Kavach.ServiceDefaults.Auth;
using Npgsql;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// The migrate step (<c>Kavach.StreamApi migrate</c>, the owner's connection) and the service's own role, on real
/// PostgreSQL 15: replicas that may not migrate wait for the step, and the step grants the role exactly its list —
/// every table the migrations create is on it, and none lets the service change or delete what is stored.
/// </summary>
[TestClass]
public sealed class MigrateStepTests
{
    private static readonly string[] Stored = ["kavach_stream_events", "kavach_checkpoints", "kavach_checkpoint_keys", "kavach_chain_anchor"];
    private static readonly string SigningKey = "migrate-step-signing-key-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
    private static PostgresServer s_postgres = null!;
    private static string s_logDirectory = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        var work = Path.Combine(SuiteSettings.WorkRoot, "migrate-step");
        s_logDirectory = Path.Combine(SuiteSettings.LogRoot, "migrate-step");
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
    public async Task AReplicaRunningAsTheServicesRoleWaitsForTheMigrateStepThenServes()
    {
        var database = await CreateDatabaseAsync("waits");
        await QueryAsync(database, $"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PostgresServer.AppRole}') THEN
                    CREATE ROLE {PostgresServer.AppRole} LOGIN PASSWORD '{s_postgres.AppPassword}';
                END IF;
            END $$
            """);
        var replica = new ApiReplica(0, SuiteSettings.StreamApiAssembly, new Dictionary<string, string>
        {
            ["ConnectionStrings__kavachdb"] = s_postgres.AppConnectionStringFor(database),
            ["Kavach__Auth__SigningKey"] = SigningKey,
            ["Logging__Console__FormatterName"] = "simple",
        }, s_logDirectory, "waits");
        try
        {
            var starting = replica.StartAsync(TimeSpan.FromSeconds(60));
            var log = await WaitForLogAsync("waits-0.log", "waiting for the migrate step");
            Assert.IsFalse(starting.IsCompleted, "the replica reported ready on an empty database");
            Assert.AreEqual("0", await QueryAsync(database, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'kavach%'"), "a replica made tables");

            await MigrateStep.RunAsync(s_postgres, database, SuiteSettings.StreamApiAssembly, s_logDirectory);
            await starting;
            TestContext.WriteLine(log);
            await EmitAsync(replica);
            StringAssert.Contains(await File.ReadAllTextAsync(Path.Combine(s_logDirectory, "waits-0.log"), TestContext.CancellationToken),
                $"runs as PostgreSQL role {PostgresServer.AppRole}, which may add and read events but not change or delete them");
        }
        finally
        {
            await replica.StopAsync();
        }
    }

    [TestMethod]
    public async Task TheMigrateStepUpgradesAnOldDatabaseAndGrantsTheServiceOnlyItsList()
    {
        var database = await CreateDatabaseAsync("upgrade");
        await QueryAsync(database, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Deployment", "LegacySchemas", "first-release.sql")));
        await MigrateStep.RunAsync(s_postgres, database, SuiteSettings.StreamApiAssembly, s_logDirectory);
        // Again, as on every deployment: nothing to migrate, the same grants.
        await MigrateStep.RunAsync(s_postgres, database, SuiteSettings.StreamApiAssembly, s_logDirectory);

        var unlisted = await QueryAsync(database, """
            SELECT coalesce(string_agg(c.relname, ', ' ORDER BY c.relname), '') FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S') AND c.relname LIKE 'kavach%'
              AND c.relname NOT IN (SELECT object FROM kavach_app_grants) AND c.relname <> 'kavach_app_grants'
            """);
        var rewritable = await QueryAsync(database, $"""
            SELECT coalesce(string_agg(t || ' ' || p, ', '), '') FROM unnest(ARRAY['{string.Join("', '", Stored)}']) t,
                unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p
            WHERE has_table_privilege('{PostgresServer.AppRole}', t, p) OR (p = 'UPDATE' AND has_any_column_privilege('{PostgresServer.AppRole}', t, p))
            """);
        TestContext.WriteLine($"Tables without a grant entry: '{unlisted}'; stored data the service may change or delete: '{rewritable}'");
        Assert.AreEqual("", unlisted, "every table a migration creates needs its row in kavach_app_grants (migration 10)");
        Assert.AreEqual("", rewritable);

        var replica = new ApiReplica(0, SuiteSettings.StreamApiAssembly, new Dictionary<string, string>
        {
            ["ConnectionStrings__kavachdb"] = s_postgres.AppConnectionStringFor(database),
            ["Kavach__Auth__SigningKey"] = SigningKey,
        }, s_logDirectory, "upgraded");
        try
        {
            await replica.StartAsync(TimeSpan.FromSeconds(60));
            await EmitAsync(replica);
        }
        finally
        {
            await replica.StopAsync();
        }
    }

    private async Task EmitAsync(ApiReplica replica)
    {
        using var http = new HttpClient { BaseAddress = replica.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", KavachTokens.Issue(SigningKey, "migrate-step-test", [KavachScopes.Emit], TimeSpan.FromMinutes(5)));
        using var emitted = await http.PostAsync("/api/kavach/events",
            new StringContent("""{"type":"agent.created","agentId":"role-agent","data":{}}""", Encoding.UTF8, "application/json"),
            TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.Created, emitted.StatusCode, await emitted.Content.ReadAsStringAsync(TestContext.CancellationToken));
    }

    /// <summary>The log's text once it holds <paramref name="text"/>, within 30 s.</summary>
    private async Task<string> WaitForLogAsync(string file, string text)
    {
        var path = Path.Combine(s_logDirectory, file);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var log = File.Exists(path) ? await File.ReadAllTextAsync(path, TestContext.CancellationToken) : "";
            if (log.Contains(text, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                StringAssert.Contains(log, text);
                return log;
            }

            await Task.Delay(100, TestContext.CancellationToken);
        }
    }

    private static async Task<string> CreateDatabaseAsync(string name)
    {
        var database = $"kavach_{name}_{Guid.NewGuid():N}"[..40];
        await s_postgres.CreateDatabaseAsync(database);
        return database;
    }

    private static async Task<string?> QueryAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(s_postgres.ConnectionStringFor(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
