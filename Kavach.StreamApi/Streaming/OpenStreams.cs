using System.Collections.Concurrent;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// Every open stream on this replica, and the one periodic sweep over them: abort streams whose write has passed
/// its deadline, end those whose token has expired or was revoked, and ask each for a heartbeat when one is due. Also ends the
/// streams of a revoked token, subject or agent as soon as this replica learns of it, and them all at shutdown.
/// </summary>
public sealed class OpenStreams : BackgroundService
{
    private readonly StreamOptions _options;
    private readonly TokenStanding _standing;
    private readonly TimeProvider _time;
    private readonly ILogger<OpenStreams> _logger;

    public OpenStreams(IOptions<StreamOptions> options, IRevocationList revocations, TokenStanding standing, TimeProvider time,
        ILogger<OpenStreams> logger)
    {
        _options = options.Value;
        _standing = standing;
        _time = time;
        _logger = logger;
        revocations.Added += EndRevoked;
        revocations.Known += WakeAll;
    }

    private readonly ConcurrentDictionary<OpenStream, byte> _streams = new();
    private volatile bool _closed;
    private volatile CheckpointAnnouncement? _latestCheckpoint;

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

    /// <summary>The newest checkpoint to announce on streams that asked; null when there is none.</summary>
    public CheckpointAnnouncement? LatestCheckpoint => _latestCheckpoint;

    /// <summary>A new checkpoint (or none, after a restore): wakes the streams that asked for checkpoints.</summary>
    public void AnnounceCheckpoint(CheckpointAnnouncement? checkpoint)
    {
        _latestCheckpoint = checkpoint;
        if (checkpoint is null)
        {
            return;
        }

        foreach (var stream in _streams.Keys)
        {
            if (stream.WantsCheckpoints)
            {
                stream.Signal.Set();
            }
        }
    }

    public void CloseAll()
    {
        _closed = true;
        foreach (var (stream, _) in _streams)
        {
            stream.RequestEnd(StreamEnd.Closing);
        }
    }

    private void EndRevoked(Revocation revocation)
    {
        foreach (var (stream, _) in _streams)
        {
            if (_standing.WhileOpen(stream.Subscriber) == Standing.Revoked)
            {
                stream.RequestEnd(StreamEnd.TokenRevoked);
            }
        }
    }

    /// <summary>Revocations are known again: streams that paused while they were not go on.</summary>
    private void WakeAll()
    {
        foreach (var (stream, _) in _streams)
        {
            stream.Signal.Set();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweep = TimeSpan.FromTicks(Math.Clamp(_options.WriteTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(sweep, _time);
        var lastHeartbeat = _time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = _time.GetTimestamp();
                var heartbeat = _time.GetElapsedTime(lastHeartbeat) >= _options.HeartbeatInterval;
                if (heartbeat)
                {
                    lastHeartbeat = _time.GetTimestamp();
                }

                foreach (var (stream, _) in _streams)
                {
                    if (stream.IsPastDeadline(now))
                    {
                        if (stream.Abort())
                        {
                            _logger.LogDebug("Aborting stream {ClientId}: its socket took no bytes in time", stream.Context.TraceIdentifier);
                        }
                    }
                    else if (_standing.WhileOpen(stream.Subscriber) is var standing && standing is Standing.Expired or Standing.Revoked)
                    {
                        stream.RequestEnd(standing == Standing.Expired ? StreamEnd.TokenExpired : StreamEnd.TokenRevoked);
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
