using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kavach.StreamApi.Persistence.Migrations;

/// <summary>
/// The migrate step's second half, run as the owner after the migrations: it records the retention period the service's
/// role cannot shorten (<c>kavach_retention_policy</c>, from <c>Kavach:Stream:Retention</c>), creates or updates that role
/// (<c>Kavach:Database:AppRole</c>, <c>AppRolePassword</c>), and grants it exactly what <c>kavach_app_grants</c> lists:
/// to add and read events, checkpoints and keys, to claim sequences, and to prune and begin epochs through the two
/// functions that do only that. Under the schema lock, so two migrate steps never grant at once.
/// </summary>
public sealed class AppRoleGrants(
    NpgsqlDataSource dataSource,
    SchemaMigrator migrator,
    IOptions<DatabaseOptions> databaseOptions,
    IOptions<StreamOptions> streamOptions,
    ILogger<AppRoleGrants> logger)
{
    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await migrator.BeginLockedAsync(connection, cancellationToken);
        var retention = streamOptions.Value.Retention;
        await ScalarAsync<object>(connection, "UPDATE kavach_retention_policy SET min_age = $1", cancellationToken, retention);

        var options = databaseOptions.Value;
        if (options.AppRole is not { } role)
        {
            await transaction.CommitAsync(cancellationToken);
            logger.LogWarning("No {Setting} is configured: the schema is migrated, but no role of the service's own was granted. " +
                "Replicas that connect as this owner may change and delete stored events (docs/operations.md#database-roles)",
                $"{DatabaseOptions.Section}:{nameof(DatabaseOptions.AppRole)}");
            return;
        }

        var owner = await ScalarAsync<string>(connection, "SELECT current_user::text", cancellationToken);
        if (role == owner)
        {
            throw new InvalidOperationException($"{DatabaseOptions.Section}:{nameof(DatabaseOptions.AppRole)} names '{role}', the role this " +
                "migrate step connects as: the service must run as a role of its own, which may not change or delete events.");
        }

        var superuser = await ScalarAsync<object>(connection, "SELECT rolsuper FROM pg_roles WHERE rolname = $1", cancellationToken, role);
        if (superuser is true)
        {
            throw new InvalidOperationException($"{DatabaseOptions.Section}:{nameof(DatabaseOptions.AppRole)} names '{role}', a superuser: " +
                "it could change anything. Give the service a role of its own.");
        }

        if (options.AppRolePassword is { } password)
        {
            var statement = await ScalarAsync<string>(connection, "SELECT format('%s ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text, $3::text)",
                cancellationToken, superuser is null ? "CREATE" : "ALTER", role, ScramVerifier.For(password));
            await ScalarAsync<object>(connection, statement, cancellationToken);
        }
        else if (superuser is null)
        {
            throw new InvalidOperationException($"Role '{role}' ({DatabaseOptions.Section}:{nameof(DatabaseOptions.AppRole)}) does not exist: give " +
                $"{DatabaseOptions.Section}:{nameof(DatabaseOptions.AppRolePassword)} so that the migrate step creates it, or create it yourself.");
        }

        if (await ScalarAsync<bool>(connection, "SELECT pg_has_role($1::text, current_user, 'USAGE')", cancellationToken, role))
        {
            throw new InvalidOperationException($"Role '{role}' ({DatabaseOptions.Section}:{nameof(DatabaseOptions.AppRole)}) has the privileges of " +
                $"'{owner}', which owns the tables: revoke that membership ('REVOKE \"{owner}\" FROM \"{role}\"').");
        }

        await ScalarAsync<object>(connection, "SELECT kavach_grant_app_role($1::text)", cancellationToken, role);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation(
            "Role {Role} may add and read events, checkpoints and keys, not change or delete them; retention removes only events older than {Retention}",
            role, retention);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
