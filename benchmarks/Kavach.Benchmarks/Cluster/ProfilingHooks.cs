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
    public static async Task PrepareAsync(PostgresServer postgres, string logDirectory)
    {
        if (!(Environment.GetEnvironmentVariable("KAVACH_PG_SETTINGS") ?? "").Contains("pg_stat_statements", StringComparison.Ordinal))
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
}
