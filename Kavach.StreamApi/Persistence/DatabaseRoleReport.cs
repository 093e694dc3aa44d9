using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// Says at start which PostgreSQL role this replica runs as, and whether that role could rewrite the log behind the
/// service's back (UPDATE, DELETE or TRUNCATE stored events): a warning outside Development, where the replicas should
/// run as the service's own role, which only adds and reads events.
/// </summary>
public sealed class DatabaseRoleReport(NpgsqlDataSource dataSource, IHostEnvironment environment, ILogger<DatabaseRoleReport> logger)
{
    public async Task ReportAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT current_user::text,
                   has_table_privilege('kavach_stream_events', 'UPDATE') OR has_table_privilege('kavach_stream_events', 'DELETE')
                       OR has_table_privilege('kavach_stream_events', 'TRUNCATE'),
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (role, mayRewrite, superuser) = (reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2));
        if (!mayRewrite)
        {
            logger.LogInformation("This replica runs as PostgreSQL role {Role}, which may add and read events but not change or delete them", role);
            return;
        }

        logger.Log(environment.IsDevelopment() ? LogLevel.Information : LogLevel.Warning,
            "This replica runs as PostgreSQL role {Role}{Superuser}, which may UPDATE and DELETE stored events: whoever holds its " +
            "connection string can rewrite the log without the service. Run the replicas as the service's own role, made and " +
            "granted by the migrate step (docs/operations.md#database-roles)",
            role, superuser ? " (a superuser)" : "");
    }
}
