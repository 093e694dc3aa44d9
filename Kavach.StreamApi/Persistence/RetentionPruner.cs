using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// Deletes events older than <c>Kavach:Stream:Retention</c> every <c>RetentionSweepInterval</c>, in batches of
/// <c>RetentionBatchSize</c>, on one replica at a time (see <see cref="RetentionStore"/>), up to the newest checkpoint
/// signed before the cutoff (<see cref="IRetentionBoundary"/>), so the anchor it leaves is a signed hash.
/// </summary>
public sealed class RetentionPruner(
    RetentionStore store,
    IRetentionBoundary boundary,
    SchemaInitializer schema,
    StreamMetrics metrics,
    IOptions<StreamOptions> options,
    TimeProvider time,
    ILogger<RetentionPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.RetentionSweepInterval, time);
        do
        {
            try
            {
                var cutoff = time.GetUtcNow() - settings.Retention;
                var sweep = await store.SweepAsync(cutoff, await boundary.UpToAsync(cutoff, stoppingToken), settings.RetentionBatchSize, stoppingToken);
                metrics.RetentionSwept(sweep);
                if (sweep is null)
                {
                    logger.LogInformation("Retention sweep skipped: another replica is sweeping");
                }
                else if (sweep.Deleted > 0)
                {
                    logger.LogInformation(
                        "Retention removed {Count} events older than {Retention} in {Batches} batches ({ElapsedMs:0} ms; longest batch {LongestMs:0.0} ms)",
                        sweep.Deleted, settings.Retention, sweep.Batches, sweep.Elapsed.TotalMilliseconds, sweep.LongestBatch.TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                metrics.RetentionSweepFailed();
                logger.LogWarning(e, "Retention sweep failed; what it removed stays removed, the rest is tried again next time");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
