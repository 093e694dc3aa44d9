using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Persistence;

/// <summary>Deletes events older than <c>Kavach:Stream:Retention</c>, in the background.</summary>
public sealed class RetentionPruner(
    EventStore store,
    SchemaInitializer schema,
    IOptions<StreamOptions> options,
    TimeProvider time,
    ILogger<RetentionPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.RetentionSweepInterval, time);
        do
        {
            try
            {
                var deleted = await store.PruneAsync(time.GetUtcNow() - options.Value.Retention, stoppingToken);
                if (deleted > 0)
                {
                    logger.LogInformation("Retention removed {Count} events older than {Retention}", deleted, options.Value.Retention);
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Retention sweep failed; trying again next time");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
