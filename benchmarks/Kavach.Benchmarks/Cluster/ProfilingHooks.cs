using Kavach.Processes;
using Npgsql;

namespace Kavach.Benchmarks.Cluster;

/// <summary>
/// What <c>benchmarks/profile.sh</c> needs from a run: when PostgreSQL was started with pg_stat_statements
/// (<c>KAVACH_PG_SETTINGS</c>), the extension in the stream's database and the owner's connection string in the logs
/// directory, so the script can reset and read the statements' figures while the workload runs.
/// </summary>
internal static class ProfilingHooks
{
    private static bool StatementsOn =>
        (Environment.GetEnvironmentVariable("KAVACH_PG_SETTINGS") ?? "").Contains("pg_stat_statements", StringComparison.Ordinal);

    public static async Task PrepareAsync(PostgresServer postgres, string logDirectory)
    {
        if (!StatementsOn)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection);
        await command.ExecuteNonQueryAsync();
        var builder = new NpgsqlConnectionStringBuilder(postgres.ConnectionString);
        await File.WriteAllTextAsync(Path.Combine(logDirectory, "postgres-owner.conninfo"),
            $"host={builder.Host} port={builder.Port} dbname={builder.Database} user={builder.Username} password={builder.Password}\n");
    }

    /// <summary>
    /// After each workload, what every statement cost in each database (X with <c>--api</c> runs the other build on its
    /// own), written to <c>logs/pg_stat_statements-&lt;workload&gt;.txt</c>; then the figures start again from zero.
    /// </summary>
    public static async Task AfterWorkloadAsync(PostgresServer postgres, string logDirectory, string workload)
    {
        if (!StatementsOn)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("""
            SELECT d.datname, s.calls, round(s.total_exec_time::numeric, 1), s.rows, s.shared_blks_hit + s.shared_blks_read,
                   s.wal_records, left(regexp_replace(s.query, '\s+', ' ', 'g'), 140)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            ORDER BY d.datname, s.total_exec_time DESC
            """, connection);
        var lines = new List<string> { "database | calls | exec ms | rows | blocks | WAL records | statement" };
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i).ToString())));
            }
        }

        await File.WriteAllLinesAsync(Path.Combine(logDirectory, $"pg_stat_statements-{workload}.txt"), lines);
        await using var reset = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection);
        await reset.ExecuteNonQueryAsync();
    }
}
