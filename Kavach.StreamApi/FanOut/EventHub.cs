using System.Threading.Channels;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// This replica's delivery point. Committed events arrive from local emits, from other replicas through the
/// broker, and from PostgreSQL; the hub hands them to subscribers strictly in sequence order, each exactly once.
/// A sequence that arrives early reveals a gap, which is filled from PostgreSQL before it is delivered; a periodic
/// catch-up finds events whose fan-out message never came (a lost message, or Redis down).
/// </summary>
public sealed class EventHub(
    EventStore store,
    SchemaInitializer schema,
    StreamMetrics metrics,
    IOptions<StreamOptions> options,
    ILogger<EventHub> logger) : BackgroundService, IHealthCheck
{
    private const int BackfillPageSize = 1000;

    private readonly StreamOptions _options = options.Value;

    // Single reader: ordering needs no lock. A null item asks for a catch-up read.
    private readonly Channel<EventEnvelope?> _incoming = Channel.CreateUnbounded<EventEnvelope?>(
        new UnboundedChannelOptions { SingleReader = true });

    private readonly Lock _gate = new();
    private readonly HashSet<Subscription> _subscriptions = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _delivered;
    private bool _closed;

    /// <summary>Completes once the hub knows the stream position and accepts subscribers.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The last sequence handed to subscribers.</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                return _delivered;
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready.Task.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy($"Delivering; at sequence {Position}.")
            : HealthCheckResult.Unhealthy("Not delivering yet."));

    public void Publish(EventEnvelope envelope) => _incoming.Writer.TryWrite(envelope);

    public void RequestCatchUp() => _incoming.Writer.TryWrite(null);

    /// <summary>
    /// Registers a reader. Everything after the returned position will be queued to it; everything up to it has
    /// been delivered already and is in PostgreSQL, so replaying up to it and then reading the queue leaves no gap
    /// and no duplicate. Returns null once the hub is closed.
    /// </summary>
    public (Subscription Subscription, long Position)? Subscribe(EventTypeFilter filter)
    {
        var subscription = new Subscription(filter, _options.SubscriberQueueCapacity);
        lock (_gate)
        {
            if (_closed)
            {
                return null;
            }

            _subscriptions.Add(subscription);
            return (subscription, _delivered);
        }
    }

    public void Unsubscribe(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    /// <summary>Ends every subscription and refuses new ones (shutdown, or the module's Close).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            foreach (var subscription in _subscriptions)
            {
                subscription.Close(SubscriptionEnd.Closing);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        var (_, last) = await store.GetBoundsAsync(stoppingToken);
        lock (_gate)
        {
            _delivered = last;
        }

        _ready.TrySetResult();
        logger.LogInformation("Event hub ready at sequence {Sequence}", last);

        await Task.WhenAll(ProcessAsync(stoppingToken), TickAsync(stoppingToken));
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        Close();
        return base.StopAsync(cancellationToken);
    }

    private async Task ProcessAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var item in _incoming.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    if (item is null)
                    {
                        await CatchUpAsync(upTo: null, stoppingToken);
                    }
                    else if (item.Sequence > _delivered)
                    {
                        if (item.Sequence > _delivered + 1)
                        {
                            await CatchUpAsync(upTo: item.Sequence - 1, stoppingToken);
                        }

                        Deliver(item);
                    }
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
                {
                    // Nothing is lost: the next catch-up starts again from the last delivered sequence.
                    logger.LogWarning(e, "Reading missed events from PostgreSQL failed; retrying on the next catch-up");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        var lastHeartbeat = TimeProvider.System.GetTimestamp();
        using var timer = new PeriodicTimer(_options.CatchUpInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                RequestCatchUp();
                if (TimeProvider.System.GetElapsedTime(lastHeartbeat) >= _options.HeartbeatInterval)
                {
                    lastHeartbeat = TimeProvider.System.GetTimestamp();
                    lock (_gate)
                    {
                        foreach (var subscription in _subscriptions)
                        {
                            subscription.OfferHeartbeat();
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CatchUpAsync(long? upTo, CancellationToken cancellationToken)
    {
        var found = false;
        while (true)
        {
            var page = await store.ReadAsync(new EventQuery(_delivered, BackfillPageSize, UpTo: upTo), cancellationToken);
            foreach (var committed in page)
            {
                Deliver(EventEnvelope.From(committed.Event, committed.CommittedAt));
            }

            found |= page.Count > 0;
            if (page.Count < BackfillPageSize)
            {
                break;
            }
        }

        if (found)
        {
            metrics.Backfilled();
        }
    }

    private void Deliver(EventEnvelope envelope)
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                if (subscription.Filter.Allows(envelope.Type) && !subscription.Offer(envelope)
                    && subscription.End == SubscriptionEnd.Overflow)
                {
                    metrics.SlowConsumerDisconnected();
                }
            }

            _delivered = envelope.Sequence;
        }
    }
}
