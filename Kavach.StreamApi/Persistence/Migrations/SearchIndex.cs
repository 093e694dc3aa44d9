using Npgsql;

namespace Kavach.StreamApi.Persistence.Migrations;

/// <summary>
/// The trigram index behind search (migration 13), built <c>CONCURRENTLY</c> when the migration left it to be: on a large
/// table a build inside the migration's transaction would hold every emit for its whole length. A concurrent build cannot
/// run in a transaction, so it runs after the migrations committed, by the owner, one builder at a time (a session
/// advisory lock: a second replica skips it), with no statement timeout. One that was interrupted leaves an invalid
/// index, which the next run drops and builds again. Searches are answered without the index meanwhile, only slower.
/// </summary>
public sealed class SearchIndex(NpgsqlDataSource dataSource, ILogger<SearchIndex> logger)
{
    public const string Name = "ix_kavach_stream_events_body_trgm";
    internal const long BuildLockKey = 0x4B61766163680013; // "Kavach" + 0x13

    /// <summary>Builds the index when it is missing or invalid and this role may; true when it is in place afterwards.</summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var state = await ScalarAsync<string>(connection, $"""
            SELECT CASE WHEN i.indexrelid IS NULL THEN 'missing' WHEN i.indisvalid THEN 'valid' ELSE 'invalid' END
            FROM (SELECT 1) one LEFT JOIN pg_index i ON i.indexrelid = to_regclass('{Name}')
            """, cancellationToken);
        if (state == "valid")
        {
            return true;
        }

        var mayBuild = await ScalarAsync<bool>(connection, """
            SELECT to_regclass('kavach_stream_events') IS NOT NULL
               AND pg_has_role((SELECT relowner FROM pg_class WHERE oid = to_regclass('kavach_stream_events')), 'USAGE')
               AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
            """, cancellationToken);
        if (!mayBuild || !await ScalarAsync<bool>(connection, $"SELECT pg_try_advisory_lock({BuildLockKey})", cancellationToken))
        {
            return false;
        }

        try
        {
            logger.LogInformation("Building the search index {Index} concurrently (emits and reads go on meanwhile)", Name);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await ExecuteAsync(connection, "SET statement_timeout = 0", cancellationToken);
            if (state == "invalid")
            {
                await ExecuteAsync(connection, $"DROP INDEX CONCURRENTLY IF EXISTS {Name}", cancellationToken);
            }

            await ExecuteAsync(connection,
                $"CREATE INDEX CONCURRENTLY IF NOT EXISTS {Name} ON kavach_stream_events USING gin (body gin_trgm_ops)", cancellationToken);
            logger.LogInformation("Search index {Index} built in {Elapsed}", Name, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return true;
        }
        finally
        {
            // A broken connection has released the session's lock and setting with it.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, "RESET statement_timeout", CancellationToken.None);
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({BuildLockKey})", CancellationToken.None);
            }
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
