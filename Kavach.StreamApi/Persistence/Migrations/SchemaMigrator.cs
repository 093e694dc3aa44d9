using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kavach.StreamApi.Persistence.Migrations;

/// <summary>
/// Brings the schema to this build's version once per deployment, not once per replica start. The journal table
/// <c>kavach_schema_migrations</c> is read first, without any lock beyond a plain read of that one table: when the
/// schema is current (every start but the first after an upgrade), the replica takes no lock that a serving replica
/// could wait behind. Only when migrations are missing does it take the schema advisory lock (replicas starting
/// together wait for one another) and run them in one transaction under <c>lock_timeout</c>, so a DDL statement that
/// cannot get its table lock gives up and retries later rather than queueing every reader and writer behind it.
/// A role that may not migrate (the service's own, see <see cref="AppRoleGrants"/>) never tries: it waits for the
/// migrate step.
/// </summary>
public sealed class SchemaMigrator(
    NpgsqlDataSource dataSource,
    IOptions<DatabaseOptions> databaseOptions,
    ILogger<SchemaMigrator> logger)
{
    public const string JournalTable = "kavach_schema_migrations";
    internal const long SchemaLockKey = 0x4B61766163680001; // "Kavach" + 1

    /// <summary>
    /// True once the schema is at this build's version, migrated here if needed; false when it is behind and this role
    /// may not migrate it (it neither owns the journal nor, before there is one, may create tables): the migrate step must.
    /// </summary>
    public async Task<bool> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var applied = await AppliedVersionAsync(connection, transaction: null, cancellationToken);
        if (applied >= SchemaMigration.LatestVersion)
        {
            logger.LogInformation("Schema is at version {Version}: nothing to migrate", applied);
            return true;
        }

        if (!await MayMigrateAsync(connection, cancellationToken))
        {
            return false;
        }

        await using var transaction = await BeginLockedAsync(connection, cancellationToken);
        await ExecuteAsync(connection, transaction, $"""
            CREATE TABLE IF NOT EXISTS {JournalTable} (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """, cancellationToken);

        // Another replica may have migrated while this one waited for the lock.
        applied = await AppliedVersionAsync(connection, transaction, cancellationToken);
        foreach (var migration in SchemaMigration.All.Where(m => m.Version > applied))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
            await using var record = new NpgsqlCommand($"INSERT INTO {JournalTable} (version, name) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
            await record.ExecuteNonQueryAsync(cancellationToken);
            logger.LogInformation("Schema migration {Version} ({Name}) applied", migration.Version, migration.Name);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Schema is at version {Version}", SchemaMigration.LatestVersion);
        return true;
    }

    /// <summary>
    /// A transaction holding the schema advisory lock, whose statements give up after <c>lock_timeout</c> rather than
    /// queue the serving replicas' reads and writes behind them.
    /// </summary>
    internal async Task<NpgsqlTransaction> BeginLockedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction,
            $"SET LOCAL lock_timeout = {(long)databaseOptions.Value.LockTimeout.TotalMilliseconds}", cancellationToken);
        await using var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction);
        lockCommand.Parameters.Add(new NpgsqlParameter { Value = SchemaLockKey });
        await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    /// <summary>Whether this role owns the journal (or is a member of its owner), or, before there is one, may create tables.</summary>
    private static async Task<bool> MayMigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT CASE WHEN to_regclass('{JournalTable}') IS NULL THEN has_schema_privilege('public', 'CREATE')
                        ELSE pg_has_role((SELECT relowner FROM pg_class WHERE oid = to_regclass('{JournalTable}')), 'USAGE') END
            """, connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The highest version in the journal; 0 when there is no journal (a new database, or one made before journals).</summary>
    private static async Task<int> AppliedVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand($"SELECT to_regclass('{JournalTable}') IS NOT NULL", connection, transaction);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
        {
            return 0;
        }

        await using var version = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {JournalTable}", connection, transaction);
        return (int)(await version.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
