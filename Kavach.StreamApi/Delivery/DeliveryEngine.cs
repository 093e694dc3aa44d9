using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// Pushes the log to destinations (docs/webhooks.md, "How delivery works"). Every replica runs one; each destination
/// is sent to by one replica at a time, the holder of its lease in PostgreSQL: the engine claims free or expired
/// leases up to <see cref="DeliveryOptions.MaxDestinationsPerReplica"/>, renews its own every third of
/// <see cref="DeliveryOptions.LeaseDuration"/> (taking up what admins changed meanwhile), and releases them when it
/// stops — a replica that dies without releasing loses them when they run out. Each held destination has a
/// <see cref="DestinationSender"/>; all are woken when the hub appends events and at each tick.
/// </summary>
public sealed class DeliveryEngine(
    DeliveryLeases leases,
    DeliveryLog log,
    DeliveryHttp http,
    DeliveryMetrics metrics,
    IEnumerable<IPushChannel> channels,
    EventHub hub,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private static readonly TimeSpan SlowPoll = TimeSpan.FromSeconds(1);

    private readonly DeliveryOptions _options = options.Value;
    private readonly ILogger _logger = loggers.CreateLogger<DeliveryEngine>();
    private readonly ILogger _senderLogger = loggers.CreateLogger<DestinationSender>();
    private readonly ConcurrentDictionary<Guid, Held> _held = new();
    private readonly DeliveryPulse _pulse = new();
    private readonly WakeSignal _commits = new();
    private readonly Dictionary<DestinationKind, IPushChannel> _channels = channels.ToDictionary(c => c.Kind);
    private readonly RetrySchedule _retries = new(options.Value);
    private long _leaseValidUntil;
    private bool _warnedUnavailable;

    /// <summary>The destinations this replica sends to now.</summary>
    public IReadOnlyCollection<Guid> HeldDestinations => [.. _held.Keys];

    public string Owner => leases.Owner;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            _logger.LogInformation("Push delivery is off on this replica ({Setting}=false)", $"{DeliveryOptions.Section}:Enabled");
            return;
        }

        await hub.Ready.WaitAsync(stoppingToken);
        metrics.Observe(Lags, OldestUndeliveredAge);
        var renewEvery = _options.LeaseDuration / 3;
        var tick = renewEvery < SlowPoll ? renewEvery : SlowPoll;
        hub.Listen(_commits);
        var pump = PumpCommitsAsync(stoppingToken);
        var lastRenew = long.MinValue;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (lastRenew == long.MinValue || time.GetElapsedTime(lastRenew) >= renewEvery)
                    {
                        var started = time.GetTimestamp();
                        await RenewAsync(started, stoppingToken);
                        lastRenew = started;
                    }

                    await ClaimAsync(stoppingToken);
                    foreach (var id in await leases.WithOutboxAsync([.. _held.Keys], stoppingToken))
                    {
                        if (_held.TryGetValue(id, out var held))
                        {
                            held.Sender.OutboxWaiting();
                        }
                    }

                    _warnedUnavailable = false;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    if (!_warnedUnavailable)
                    {
                        _logger.LogWarning(e, "Push delivery cannot reach PostgreSQL for its leases; trying again every {Tick}", tick);
                        _warnedUnavailable = true;
                    }
                }

                _pulse.Fire();
                await Task.Delay(tick, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            hub.Unlisten(_commits);
            _commits.Set();
            await pump;
            await StopSendersAsync();
        }
    }

    /// <summary>Extends the leases; stops senders whose lease is gone, hands admins' changes to the others.</summary>
    private async Task RenewAsync(long started, CancellationToken stoppingToken)
    {
        var rows = (await leases.RenewAsync(_options.LeaseDuration, stoppingToken)).ToDictionary(r => r.Id);
        Volatile.Write(ref _leaseValidUntil, started + (long)(_options.LeaseDuration.TotalSeconds * time.TimestampFrequency));
        foreach (var (id, held) in _held)
        {
            if (!rows.TryGetValue(id, out var row))
            {
                await StopAsync(id, held); // taken over, or deleted
            }
            else if (row.UpdatedAt != held.Sender.KnownUpdatedAt)
            {
                held.Sender.Offer(row);
            }
        }

        foreach (var row in rows.Values.Where(r => !_held.ContainsKey(r.Id)))
        {
            Start(row);
        }

        metrics.Paused(await leases.CountPausedAsync(stoppingToken));
    }

    private async Task ClaimAsync(CancellationToken stoppingToken)
    {
        var room = _options.MaxDestinationsPerReplica - _held.Count;
        if (room <= 0)
        {
            return;
        }

        var claimed = await leases.ClaimAsync(_options.LeaseDuration, room, stoppingToken, _channels.Keys);
        if (claimed.Count == 0)
        {
            return;
        }

        foreach (var row in claimed)
        {
            if (_held.TryGetValue(row.Id, out var held))
            {
                held.Sender.Offer(row);
            }
            else
            {
                Start(row);
            }
        }

        _logger.LogInformation("Took the lease of {Count} destination(s); holding {Held}", claimed.Count, _held.Count);
    }

    private void Start(Destination row)
    {
        if (!_channels.TryGetValue(row.Kind, out var channel))
        {
            return; // cannot be held: ClaimAsync takes only the kinds this replica has a channel for
        }

        var sender = new DestinationSender(row, channel, log, leases, http, _retries, _pulse, metrics, _options, LeaseLeft, time, _senderLogger);
        var stop = new CancellationTokenSource();
        var held = new Held(sender, stop);
        if (!_held.TryAdd(row.Id, held))
        {
            return;
        }

        held.Run = Task.Run(async () =>
        {
            try
            {
                await sender.RunAsync(stop.Token);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "The sender of destination {Destination} failed; it starts again at the next renewal", row.Id);
            }
            finally
            {
                // Ended on its own (paused, lease lost, or failed): a lease still held is taken up again at the next renewal.
                if (!stop.IsCancellationRequested)
                {
                    _held.TryRemove(new KeyValuePair<Guid, Held>(row.Id, held));
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// How much longer this replica's leases surely last: counted from when the last renewal was sent, so it ends
    /// before PostgreSQL's <c>lease_until</c> (set when the statement ran), after which another replica may claim.
    /// </summary>
    private TimeSpan LeaseLeft() =>
        TimeSpan.FromSeconds((double)(Volatile.Read(ref _leaseValidUntil) - time.GetTimestamp()) / time.TimestampFrequency);

    private async Task StopAsync(Guid id, Held held)
    {
        if (_held.TryRemove(new KeyValuePair<Guid, Held>(id, held)))
        {
            await held.Stop.CancelAsync();
            await held.Run;
        }
    }

    private async Task StopSendersAsync()
    {
        await Task.WhenAll(_held.ToArray().Select(pair => StopAsync(pair.Key, pair.Value)));
        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await leases.ReleaseAllAsync(bounded.Token);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Could not release this replica's delivery leases; other replicas take them when they run out");
        }
    }

    private async Task PumpCommitsAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _commits.WaitAsync();
            _pulse.Fire();
        }
    }

    private IEnumerable<Measurement<long>> Lags()
    {
        foreach (var held in _held.Values)
        {
            yield return new Measurement<long>(held.Sender.Lag, new KeyValuePair<string, object?>("destination", held.Sender.Id.ToString()));
        }
    }

    private double OldestUndeliveredAge()
    {
        var now = time.GetUtcNow();
        var oldest = _held.Values.Select(h => h.Sender.PendingCommittedAt).Where(t => t is not null).DefaultIfEmpty(null).Min();
        return oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0;
    }

    private sealed class Held(DestinationSender sender, CancellationTokenSource stop)
    {
        public DestinationSender Sender { get; } = sender;

        public CancellationTokenSource Stop { get; } = stop;

        public Task Run { get; set; } = Task.CompletedTask;
    }
}
