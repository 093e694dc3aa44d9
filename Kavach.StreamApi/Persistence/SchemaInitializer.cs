using Kavach.StreamApi.Persistence.Migrations;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// Brings the schema to this build's version before the replica reports ready; until then the "schema" health check
/// fails, so Aspire (and a container platform's readiness probe) routes no traffic here. A migration that cannot get
/// its locks within <c>lock_timeout</c> (serving replicas hold them) is tried again with backoff.
/// </summary>
public sealed class SchemaInitializer(SchemaMigrator migrator, ConnectionBudget connectionBudget, ILogger<SchemaInitializer> logger) : BackgroundService, IHealthCheck
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await migrator.MigrateAsync(stoppingToken);
                _ready.TrySetResult();
                await connectionBudget.ReportAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Migrating the event schema failed; retrying in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready.Task.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy("Event schema is ready.")
            : HealthCheckResult.Unhealthy("Event schema is not created yet."));
}
