using System.Globalization;
using Kavach.StreamApi.Events;
using StackExchange.Redis;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// Commit hints over Redis pub/sub, on a channel per stream and epoch (<c>kavach:{streamId}:{epoch}:commits</c>), so
/// deployments sharing a Redis, or an old epoch's stragglers, never mix. A message is just the last committed
/// sequence; the hub reads the events from PostgreSQL. When the connection comes back the hub checks at once.
/// </summary>
public sealed class RedisEventBroker(IConnectionMultiplexer redis, EventHub hub, ILogger<RedisEventBroker> logger)
    : BackgroundService, IEventBroker
{
    private readonly Lock _gate = new();
    private ChannelMessageQueue? _subscription;

    public static RedisChannel Channel(Guid streamId, long epoch) =>
        RedisChannel.Literal(string.Create(CultureInfo.InvariantCulture, $"kavach:{streamId:N}:{epoch}:commits"));

    public void Publish(StreamPosition committedUpTo)
    {
        try
        {
            // Fire and forget: an emit never waits on Redis.
            redis.GetSubscriber().Publish(Channel(hub.StreamId, committedUpTo.Epoch), committedUpTo.Sequence, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogDebug(e, "Publishing a commit hint failed; other replicas find the events at their next check");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await hub.Ready.WaitAsync(stoppingToken);
        redis.ConnectionRestored += (_, _) => hub.RequestCatchUp();
        hub.EpochBegan += epoch => _ = SubscribeAsync(epoch, stoppingToken);
        await SubscribeAsync(hub.Buffer.Epoch, stoppingToken);
    }

    /// <summary>
    /// Redis may be down: keep trying (the hub's periodic check delivers meanwhile) rather than let the exception stop
    /// the host. Once subscribed, the multiplexer resubscribes by itself after a reconnect.
    /// </summary>
    private async Task SubscribeAsync(long epoch, CancellationToken stoppingToken)
    {
        var channel = Channel(hub.StreamId, epoch);
        while (!stoppingToken.IsCancellationRequested && hub.Buffer.Epoch == epoch)
        {
            try
            {
                var queue = await redis.GetSubscriber().SubscribeAsync(channel);
                queue.OnMessage(message =>
                {
                    if (message.Message.TryParse(out long sequence))
                    {
                        hub.Hint(epoch, sequence);
                    }
                });

                ChannelMessageQueue? previous;
                lock (_gate)
                {
                    previous = _subscription;
                    _subscription = queue;
                }

                if (previous is not null)
                {
                    await previous.UnsubscribeAsync();
                }

                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning(e, "Subscribing to commit hints failed; retrying. Events still arrive through the hub's checks of PostgreSQL");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            if (_subscription is { } subscription)
            {
                await subscription.UnsubscribeAsync();
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogDebug(e, "Leaving Redis cleanly failed");
        }
    }
}
