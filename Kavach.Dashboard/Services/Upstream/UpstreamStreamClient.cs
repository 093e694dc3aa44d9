using Kavach.Client;
using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Feed;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>
/// The console's ONE subscription to the stream API, shared by every browser session through <see cref="EventFeed"/>.
/// <see cref="KavachClient"/> does the resuming (Last-Event-ID, backoff, token renewal, each event once and in
/// order); this turns what it delivers into the feed and the upstream status, and — unlike a client that stops on a
/// refused token — keeps trying with backoff, since the console's credentials can be fixed while it runs.
/// </summary>
public sealed partial class UpstreamStreamClient(
    KavachClient client,
    EventFeed feed,
    UpstreamStatusBoard status,
    IOptions<StreamApiOptions> options,
    TimeProvider time,
    ILogger<UpstreamStreamClient> logger) : BackgroundService
{
    private KavachStream? _stream;

    /// <summary>Ends the current connection; the client reconnects as it would after any drop.</summary>
    public void DropConnection() => _stream?.Reconnect();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var refusals = new ReconnectBackoff(settings.ReconnectInitialDelay, settings.ReconnectMaxDelay);
        var since = time.GetUtcNow() - settings.InitialWindow;
        string? cursor = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var stream = client.Stream(new StreamRequest { After = cursor, Since = cursor is null ? since : null });
            stream.Activity += OnActivity;
            stream.Disconnected += OnDisconnected;
            _stream = stream;
            try
            {
                await foreach (var item in stream.WithCancellation(stoppingToken))
                {
                    if (item is Connected)
                    {
                        refusals.Reset();
                    }

                    Handle(item);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (KavachException refused)
            {
                cursor = stream.Cursor ?? cursor;
                if (!await WaitAfterRefusalAsync(refused, refusals.Next(), stoppingToken))
                {
                    break;
                }
            }
            finally
            {
                stream.Activity -= OnActivity;
                stream.Disconnected -= OnDisconnected;
            }
        }
    }

    private void Handle(StreamItem item)
    {
        switch (item)
        {
            case KavachEvent e:
                feed.TryAppend(e);
                break;
            case Connected connected:
                feed.Connected(connected.Epoch);
                LogConnected(logger, connected.SubscriberId, feed.LastSequence);
                var now = time.GetUtcNow();
                status.Update(s => s with
                {
                    State = UpstreamState.Connected,
                    ConnectedSince = now,
                    LastHeartbeat = now,
                    SubscriberId = connected.SubscriberId,
                    NextAttemptAt = null,
                });
                break;
            case Resync resync:
                LogResync(logger, resync.Reason, resync.Epoch, resync.ResumeAfter ?? resync.OldestSequence);
                feed.Resync(resync);
                status.Update(s => s with { Resync = Describe(resync) });
                break;
            case StreamError error:
                LogUpstreamError(logger, error.Code, error.Message);
                status.Update(s => s with { LastError = $"{error.Code}: {error.Message}" });
                break;
            case UnknownSignal unknown:
                LogUnknown(logger, unknown.Name);
                break;
        }
    }

    private void OnActivity(DateTimeOffset at) => status.Update(s => s with { LastHeartbeat = at });

    private void OnDisconnected(string reason, TimeSpan delay)
    {
        LogReconnecting(logger, reason, delay.TotalMilliseconds, feed.LastSequence);
        MarkReconnecting(reason, delay);
    }

    private async Task<bool> WaitAfterRefusalAsync(KavachException refused, TimeSpan delay, CancellationToken stoppingToken)
    {
        var reason = Describe(refused);
        LogRefused(logger, reason, delay.TotalMilliseconds);
        MarkReconnecting(reason, delay);
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void MarkReconnecting(string reason, TimeSpan delay) => status.Update(s => s with
    {
        State = UpstreamState.Reconnecting,
        LastError = reason,
        NextAttemptAt = time.GetUtcNow() + delay,
        Reconnects = s.Reconnects + 1,
    });

    private static string Describe(Resync resync) => resync.Reason switch
    {
        ResyncReasons.EpochChanged =>
            $"epoch {resync.Epoch}: the API's database went back to an earlier state; history after #{resync.ResumeAfter} was replaced",
        ResyncReasons.CursorAheadOfStream =>
            $"the API's stream (epoch {resync.Epoch}) is behind what the console had: its database was reset or restored; following it from #{resync.OldestSequence}",
        _ => $"{resync.Reason ?? "resync"}: events before #{resync.OldestSequence} are no longer retained",
    };

    private static string Describe(KavachException refused) => refused switch
    {
        KavachAuthorizationException { Status: 401 } => "401: the API rejected the console's service token (check StreamApi:ClientId and ClientSecret)",
        KavachAuthorizationException { Status: 403 } => "403: the console's service token lacks the events:read scope",
        _ => refused.Message,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream stream connected as subscriber {SubscriberId}, last sequence {LastSequence}")]
    private static partial void LogConnected(ILogger logger, string? subscriberId, long lastSequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream stream ended ({Reason}); reconnecting in {DelayMs:0} ms from sequence {LastSequence}")]
    private static partial void LogReconnecting(ILogger logger, string reason, double delayMs, long lastSequence);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stream API refused the console ({Reason}); trying again in {DelayMs:0} ms")]
    private static partial void LogRefused(ILogger logger, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream resync ({Reason}): the stream goes on in epoch {Epoch} from sequence {Sequence}")]
    private static partial void LogResync(ILogger logger, string? reason, long? epoch, long? sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream error frame {Code}: {Message}")]
    private static partial void LogUpstreamError(ILogger logger, string? code, string? message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored a '{Name}' frame this console does not know")]
    private static partial void LogUnknown(ILogger logger, string name);
}
