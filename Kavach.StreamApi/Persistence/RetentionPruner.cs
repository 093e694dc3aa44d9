using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// Deletes events older than <c>Kavach:Stream:Retention</c> every <c>RetentionSweepInterval</c>, in batches of
/// <c>RetentionBatchSize</c>, on one replica at a time (see <see cref="RetentionStore"/>), up to the newest checkpoint
/// signed before the cutoff (<see cref="IRetentionBoundary"/>), so the anchor it leaves is a signed hash. The database keeps every
/// event at least as long as its owner said (<c>kavach_retention_policy</c>, written by the migrate step), whatever this
/// replica asks; each sweep reads that minimum, so its log says what was really kept.
/// </summary>
public sealed class RetentionPruner(
    RetentionStore store,
    IRetentionBoundary boundary,
    ISchemaReady schema,
    StreamMetrics metrics,
    IOptions<StreamOptions> options,
    TimeProvider time,
    ILogger<RetentionPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        var settings = options.Value;
        var minimum = TimeSpan.Zero;
        using var timer = new PeriodicTimer(settings.RetentionSweepInterval, time);
        do
        {
            try
            {
                minimum = await ReadMinimumAsync(settings.Retention, minimum, stoppingToken);
                var cutoff = time.GetUtcNow() - (settings.Retention > minimum ? settings.Retention : minimum);
                var sweep = await store.SweepAsync(settings.Retention, await boundary.UpToAsync(cutoff, stoppingToken), settings.RetentionBatchSize, stoppingToken);
                if (sweep is null)
                {
                    metrics.RetentionSkipped();
                    logger.LogInformation("Retention sweep skipped: another replica is sweeping");
                }
                else
                {
                    metrics.RetentionSwept(sweep.Deleted, sweep.LongestBatch);
                    if (sweep.Deleted > 0)
                    {
                        logger.LogInformation(
                            "Retention removed {Count} events older than {Retention} in {Batches} batches ({ElapsedMs:0} ms; longest batch {LongestMs:0.0} ms)",
                            sweep.Deleted, settings.Retention > minimum ? settings.Retention : minimum, sweep.Batches, sweep.Elapsed.TotalMilliseconds,
                            sweep.LongestBatch.TotalMilliseconds);
                    }
                }
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                metrics.RetentionSweepFailed();
                logger.LogWarning(e, "Retention sweep failed; what it removed stays removed, the rest is tried again next time");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>The owner's minimum; a warning whenever it changes to one above the configured retention.</summary>
    private async Task<TimeSpan> ReadMinimumAsync(TimeSpan configured, TimeSpan known, CancellationToken cancellationToken)
    {
        var minimum = await store.ReadMinimumAgeAsync(cancellationToken);
        if (minimum != known && minimum > configured)
        {
            logger.LogWarning("{Setting} is {Configured}, but the database keeps every event for at least {Minimum} (the migrate step's own " +
                "retention setting): retention removes only events older than that", $"{StreamOptions.Section}:{nameof(StreamOptions.Retention)}",
                configured, minimum);
        }

        return minimum;
    }
}
