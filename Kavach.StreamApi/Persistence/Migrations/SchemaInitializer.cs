using Kavach.StreamApi.Persistence.Migrations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Kavach.StreamApi.Persistence.Migrations;

/// <summary>
/// Brings the schema to this build's version before the replica reports ready; until then the "schema" health check
/// fails, so Aspire (and a container platform's readiness probe) routes no traffic here. A migration that cannot get
/// its locks within <c>lock_timeout</c> (serving replicas hold them) is tried again with backoff. A replica whose role
/// may not migrate (the service's own) waits for the migrate step instead, reading the journal with the same backoff.
/// </summary>
public sealed class SchemaInitializer(
    SchemaMigrator migrator,
    SearchIndex searchIndex,
    ConnectionBudget connectionBudget,
    DatabaseRoleReport roleReport,
    ILogger<SchemaInitializer> logger) : BackgroundService, IHealthCheck, ISchemaReady
{
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(10);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _waitLogged;

    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await migrator.MigrateAsync(stoppingToken))
                {
                    _ready.TrySetResult();
                    await roleReport.ReportAsync(stoppingToken);
                    await connectionBudget.ReportAsync(stoppingToken);
                    await BuildSearchIndexAsync(stoppingToken);
                    return;
                }

                LogWaitingOnce(null);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                LogWaitingOnce(e);
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                logger.LogWarning(e, "Migrating the event schema failed; retrying in {Delay}", delay);
            }

            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestDelay.Ticks));
        }
    }

    /// <summary>After the replica is ready: a replica that owns the schema builds the index the migration left to be.</summary>
    private async Task BuildSearchIndexAsync(CancellationToken stoppingToken)
    {
        try
        {
            await searchIndex.EnsureAsync(stoppingToken);
        }
        catch (Exception e) when (DatabaseFailures.IsFailure(e))
        {
            logger.LogWarning(e, "The search index could not be built; searches go on without it (slower) until the next start builds it");
        }
    }

    private void LogWaitingOnce(Exception? refusal)
    {
        if (!_waitLogged)
        {
            logger.LogWarning(refusal,
                "The event schema is behind this build (version {Latest}) and this replica's role may not migrate it: waiting for " +
                "the migrate step ('Kavach.StreamApi migrate' with the owner's connection; docs/operations.md#database-roles)",
                SchemaMigration.LatestVersion);
            _waitLogged = true;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready.Task.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy("Event schema is ready.")
            : HealthCheckResult.Unhealthy("Event schema is not created yet."));
}
