using Kavach.StreamApi.Persistence.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// Migration 13 on a large table leaves the trigram index to <see cref="SearchIndex"/>, which builds it concurrently
/// (emits are never held for the build); a build that was interrupted (an invalid index) is dropped and built again.
/// Each on a database of its own on the test system's PostgreSQL.
/// </summary>
[TestClass]
public sealed class SearchIndexMigrationTests
{
    [TestMethod]
    public async Task OnALargeTableTheIndexIsBuiltConcurrentlyAfterTheMigrationAndRebuiltWhenInvalid()
    {
        var database = await CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database);
        foreach (var migration in SchemaMigration.All.Where(m => m.Version < 13))
        {
            await ExecuteAsync(dataSource, migration.Sql);
        }

        await ExecuteAsync(dataSource, """
            INSERT INTO kavach_stream_events (sequence, id, type, timestamp, body)
            SELECT n, 'evt-' || n, 'audit', now(), '{"id":"evt-' || n || '","type":"audit","data":{"note":"row ' || n || '"}}'
            FROM generate_series(1, 100001) AS n
            """);
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            // In a transaction, as the migrator runs it.
            await using var migrate = new NpgsqlCommand(SchemaMigration.All.Single(m => m.Version == 13).Sql, connection, transaction);
            await migrate.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        Assert.AreEqual("missing", await IndexStateAsync(dataSource), "100,001 events: the migration leaves the build");
        Assert.IsTrue(await new SearchIndex(dataSource, NullLogger<SearchIndex>.Instance).EnsureAsync(CancellationToken.None));
        Assert.AreEqual("valid", await IndexStateAsync(dataSource));

        await ExecuteAsync(dataSource, $"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{SearchIndex.Name}'::regclass");
        Assert.AreEqual("invalid", await IndexStateAsync(dataSource));
        Assert.IsTrue(await new SearchIndex(dataSource, NullLogger<SearchIndex>.Instance).EnsureAsync(CancellationToken.None));
        Assert.AreEqual("valid", await IndexStateAsync(dataSource));

        await ExecuteAsync(dataSource, "ANALYZE kavach_stream_events");
        await using var plan = dataSource.CreateCommand("EXPLAIN SELECT sequence FROM kavach_stream_events WHERE body ILIKE '%row 99999%'");
        var lines = new List<string>();
        await using (var reader = await plan.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        StringAssert.Contains(string.Join("\n", lines), SearchIndex.Name, "a rare text is found through the index");
    }

    [TestMethod]
    public async Task OnASmallTableTheMigrationBuildsTheIndexItselfAndRunsAgainHarmlessly()
    {
        var database = await CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database);
        foreach (var migration in SchemaMigration.All.Where(m => m.Version <= 13))
        {
            await ExecuteAsync(dataSource, migration.Sql);
        }

        Assert.AreEqual("valid", await IndexStateAsync(dataSource));
        await ExecuteAsync(dataSource, SchemaMigration.All.Single(m => m.Version == 13).Sql);
        Assert.AreEqual("valid", await IndexStateAsync(dataSource));
        Assert.IsTrue(await new SearchIndex(dataSource, NullLogger<SearchIndex>.Instance).EnsureAsync(CancellationToken.None));
    }

    private static async Task<string> IndexStateAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT CASE WHEN i.indexrelid IS NULL THEN 'missing' WHEN i.indisvalid THEN 'valid' ELSE 'invalid' END
            FROM (SELECT 1) one LEFT JOIN pg_index i ON i.indexrelid = to_regclass('{SearchIndex.Name}')
            """);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string> CreateDatabaseAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(await KavachSystem.DatabaseConnectionStringAsync());
        var name = $"kavach_search_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        server.Database = name;
        return server.ConnectionString;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 120;
        await command.ExecuteNonQueryAsync();
    }
}
