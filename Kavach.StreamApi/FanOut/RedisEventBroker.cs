using System.Text.Json;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Streaming;
using StackExchange.Redis;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// Fan-out over Redis pub/sub. Each message is <c>{"committedAt":..., "event":{...}}</c>; the event JSON is passed on
/// as it came, never re-serialized. When the connection comes back the hub is asked to catch up at once.
/// Each replica also keeps a short-lived key with its stream count, so any replica can sum them.
/// </summary>
public sealed class RedisEventBroker(
    IConnectionMultiplexer redis,
    EventHub hub,
    StreamAdmission admission,
    ILogger<RedisEventBroker> logger) : BackgroundService, IEventBroker
{
    private static readonly RedisChannel EventsChannel = RedisChannel.Literal("kavach:events");
    private const string ConnectionKeyPrefix = "kavach:connections:";
    private static readonly TimeSpan ConnectionKeyLifetime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ConnectionCountRefresh = TimeSpan.FromSeconds(1);

    private readonly string _replicaKey = ConnectionKeyPrefix + Guid.NewGuid().ToString("N");

    public async Task PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
    {
        try
        {
            // Fire and forget: an emit never waits on Redis (a replica that misses a message catches up from
            // PostgreSQL), and one connection keeps the messages in order.
            var publisher = redis.GetSubscriber();
            foreach (var envelope in events)
            {
                await publisher.PublishAsync(EventsChannel, Serialize(envelope), CommandFlags.FireAndForget);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Publishing {Count} committed events to Redis failed; other replicas will catch up from PostgreSQL", events.Count);
        }
    }

    public async Task<long> CountConnectionsAsync(CancellationToken cancellationToken)
    {
        var local = admission.Open;
        try
        {
            var database = redis.GetDatabase();
            await database.StringSetAsync(_replicaKey, local, ConnectionKeyLifetime);
            long total = 0;
            foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            {
                var keys = server.KeysAsync(pattern: ConnectionKeyPrefix + "*");
                await foreach (var key in keys.WithCancellation(cancellationToken))
                {
                    total += (long?)await database.StringGetAsync(key) ?? 0;
                }
            }

            return total;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Counting connections across replicas failed; answering with this replica's count");
            return local;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await hub.Ready.WaitAsync(stoppingToken);

        redis.ConnectionRestored += (_, _) => hub.RequestCatchUp();
        var queue = await SubscribeAsync(stoppingToken);
        queue.OnMessage(message =>
        {
            try
            {
                hub.Publish(Deserialize(message.Message!));
            }
            catch (JsonException e)
            {
                logger.LogWarning(e, "Ignoring a malformed fan-out message");
            }
        });

        // Keep this replica's stream count fresh for the others, from the start.
        using var timer = new PeriodicTimer(ConnectionCountRefresh);
        try
        {
            do
            {
                await CountConnectionsAsync(stoppingToken);
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
                await queue.UnsubscribeAsync();
                await redis.GetDatabase().KeyDeleteAsync(_replicaKey);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogDebug(e, "Leaving Redis cleanly failed; this replica's count key expires by itself");
            }
        }
    }

    /// <summary>
    /// Redis may be down when the replica starts: keep trying (the hub's catch-up delivers meanwhile) rather than let
    /// the exception stop the host. Once subscribed, the multiplexer resubscribes by itself after a reconnect.
    /// </summary>
    private async Task<ChannelMessageQueue> SubscribeAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                return await redis.GetSubscriber().SubscribeAsync(EventsChannel);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning(e, "Subscribing to Redis fan-out failed; retrying. Events still arrive through the PostgreSQL catch-up");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private static string Serialize(EventEnvelope envelope) =>
        $$"""{"committedAt":{{JsonSerializer.Serialize(envelope.CommittedAt)}},"event":{{envelope.Json}}}""";

    private static EventEnvelope Deserialize(string message)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        return EventEnvelope.FromJson(root.GetProperty("event").GetRawText(), root.GetProperty("committedAt").GetDateTimeOffset());
    }
}
