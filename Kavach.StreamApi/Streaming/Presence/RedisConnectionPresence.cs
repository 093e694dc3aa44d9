using Kavach.StreamApi.FanOut;
using StackExchange.Redis;

namespace Kavach.StreamApi.Streaming.Presence;

/// <summary>
/// Each replica keeps a short-lived key with its stream count (<c>kavach:{streamId}:connections:{replica}</c>),
/// refreshed every second, so any replica can sum them. Without Redis, the answer is this replica's own count.
/// </summary>
public sealed class RedisConnectionPresence(
    IConnectionMultiplexer redis,
    EventHub hub,
    StreamAdmission admission,
    TimeProvider time,
    ILogger<RedisConnectionPresence> logger) : BackgroundService, IConnectionPresence
{
    private static readonly TimeSpan KeyLifetime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    private readonly string _replica = Guid.NewGuid().ToString("N");

    private string Prefix => $"kavach:{hub.StreamId:N}:connections:";

    public async Task<long> CountAllAsync(CancellationToken cancellationToken)
    {
        var local = admission.Open;
        if (!hub.Ready.IsCompletedSuccessfully)
        {
            return local;
        }

        try
        {
            var database = redis.GetDatabase();
            await database.StringSetAsync(Prefix + _replica, local, KeyLifetime);
            long total = 0;
            foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            {
                await foreach (var key in server.KeysAsync(pattern: Prefix + "*").WithCancellation(cancellationToken))
                {
                    total += (long?)await database.StringGetAsync(key) ?? 0;
                }
            }

            return total;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogDebug(e, "Counting connections across replicas failed; answering with this replica's count");
            return local;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await hub.Ready.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(Refresh, time);
        try
        {
            do
            {
                await CountAllAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            try
            {
                await redis.GetDatabase().KeyDeleteAsync(Prefix + _replica);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogDebug(e, "Removing this replica's count key failed; it expires by itself");
            }
        }
    }
}
