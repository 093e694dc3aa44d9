using System.Collections.Concurrent;
using System.Diagnostics;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// Every open stream on this replica, and the one periodic sweep over them: abort streams whose write has passed
/// its deadline, and ask each for a heartbeat when one is due. Also ends them all at shutdown.
/// </summary>
public sealed class OpenStreams(IOptions<StreamOptions> options, TimeProvider time, ILogger<OpenStreams> logger)
    : BackgroundService
{
    private readonly StreamOptions _options = options.Value;
    private readonly ConcurrentDictionary<OpenStream, byte> _streams = new();
    private volatile bool _closed;

    public int Count => _streams.Count;

    /// <summary>False once the replica is closing; the stream must then end at once.</summary>
    public bool Add(OpenStream stream)
    {
        _streams.TryAdd(stream, 0);
        if (_closed)
        {
            stream.RequestEnd(StreamEnd.Closing);
        }

        return !_closed;
    }

    public void Remove(OpenStream stream) => _streams.TryRemove(stream, out _);

    public void CloseAll()
    {
        _closed = true;
        foreach (var (stream, _) in _streams)
        {
            stream.RequestEnd(StreamEnd.Closing);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweep = TimeSpan.FromTicks(Math.Clamp(_options.WriteTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(sweep, time);
        var lastHeartbeat = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Stopwatch.GetTimestamp();
                var heartbeat = time.GetElapsedTime(lastHeartbeat) >= _options.HeartbeatInterval;
                if (heartbeat)
                {
                    lastHeartbeat = time.GetTimestamp();
                }

                foreach (var (stream, _) in _streams)
                {
                    if (stream.IsPastDeadline(now))
                    {
                        if (stream.Abort())
                        {
                            logger.LogDebug("Aborting stream {ClientId}: its socket took no bytes in time", stream.Context.TraceIdentifier);
                        }
                    }
                    else if (heartbeat)
                    {
                        stream.RequestHeartbeat();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
