using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Feed;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>
/// The console's ONE subscription to the stream API, shared by every browser session through <see cref="EventFeed"/>.
/// Reconnects with <c>Last-Event-ID</c> and capped exponential backoff; the feed drops anything not newer than the
/// last sequence it kept, so a reconnect never shows an event twice or out of order.
/// </summary>
public sealed partial class UpstreamStreamClient(
    IHttpClientFactory httpClientFactory,
    ServiceTokenProvider tokens,
    EventFeed feed,
    IOptions<StreamApiOptions> options,
    TimeProvider time,
    ILogger<UpstreamStreamClient> logger) : BackgroundService
{
    public const string HttpClientName = "streamapi-sse";
    public const string StreamPath = "/api/kavach/events/stream";

    private CancellationTokenSource? _connection;
    private long _epoch = 1;

    /// <summary>Ends the current connection; the client reconnects as it would after any drop.</summary>
    public void DropConnection()
    {
        try
        {
            _connection?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection had just ended on its own.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var backoff = new ReconnectBackoff(settings.ReconnectInitialDelay, settings.ReconnectMaxDelay);
        var firstConnect = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _connection = connection;
            var result = await ReadOnceAsync(firstConnect, connection, stoppingToken);
            _connection = null;
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            if (result.Connected)
            {
                firstConnect = false;
                backoff.Reset();
            }

            var delay = backoff.Next(result.ServerRetry);
            LogReconnecting(logger, result.Reason, delay.TotalMilliseconds, feed.LastSequence);
            feed.UpdateStatus(s => s with
            {
                State = UpstreamState.Reconnecting,
                LastError = result.Reason,
                NextAttemptAt = time.GetUtcNow() + delay,
                Reconnects = s.Reconnects + 1,
            });
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<ReadResult> ReadOnceAsync(bool firstConnect, CancellationTokenSource connection, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var connected = false;
        TimeSpan? serverRetry = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, BuildPath(firstConnect));
            request.Headers.Accept.ParseAdd("text/event-stream");
            request.Headers.Authorization = new("Bearer", await tokens.GetTokenAsync(connection.Token));
            var lastSequence = feed.LastSequence;
            if (lastSequence > 0)
            {
                // An event id is its sequence, qualified by the epoch after the first one ("2:1221").
                var lastEventId = _epoch == 1
                    ? lastSequence.ToString(CultureInfo.InvariantCulture)
                    : string.Create(CultureInfo.InvariantCulture, $"{_epoch}:{lastSequence}");
                request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
            }

            connection.CancelAfter(settings.StallTimeout);
            using var http = httpClientFactory.CreateClient(HttpClientName);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connection.Token);
            if (!response.IsSuccessStatusCode)
            {
                return new ReadResult(false, null, Describe(response.StatusCode));
            }

            await using var body = new ActivityTrackingStream(
                await response.Content.ReadAsStreamAsync(connection.Token),
                () => OnActivity(connection, settings.StallTimeout));
            var parser = SseParser.Create(body, UpstreamFrame.Parse);
            await foreach (var item in parser.EnumerateAsync(connection.Token))
            {
                serverRetry = parser.ReconnectionInterval == Timeout.InfiniteTimeSpan ? null : parser.ReconnectionInterval;
                connected |= Handle(item.Data);
            }

            return new ReadResult(connected, serverRetry, "the API closed the stream");
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return new ReadResult(connected, serverRetry, "the stream stalled or was dropped");
        }
        catch (OperationCanceledException)
        {
            return new ReadResult(connected, serverRetry, "stopping");
        }
        catch (Exception e)
        {
            // Whatever went wrong (network, service discovery, a broken frame), the one subscription must live on.
            return new ReadResult(connected, serverRetry, e.Message);
        }
    }

    private bool Handle(UpstreamFrame frame)
    {
        switch (frame)
        {
            case EventFrame { Event: var e }:
                feed.TryAppend(e);
                return false;
            case ConnectedFrame connected:
                _epoch = connected.Epoch ?? 1;
                LogConnected(logger, connected.SubscriberId, feed.LastSequence);
                var now = time.GetUtcNow();
                feed.UpdateStatus(s => s with
                {
                    State = UpstreamState.Connected,
                    ConnectedSince = now,
                    LastHeartbeat = now,
                    SubscriberId = connected.SubscriberId,
                    NextAttemptAt = null,
                });
                return true;
            case ResyncFrame { Reason: "epoch-changed", Epoch: { } epoch, ResumeAfter: { } resumeAfter }:
                LogEpochChanged(logger, epoch, resumeAfter);
                _epoch = epoch;
                feed.BeginEpoch(resumeAfter);
                feed.UpdateStatus(s => s with
                {
                    Resync = $"epoch {epoch}: the API's database went back to an earlier state; history after #{resumeAfter} was replaced",
                });
                return false;
            case ResyncFrame resync:
                LogResync(logger, resync.Reason, resync.OldestSequence);
                feed.UpdateStatus(s => s with
                {
                    Resync = $"{resync.Reason ?? "resync"}: events before #{resync.OldestSequence} are no longer retained",
                });
                return false;
            case ErrorFrame error:
                LogUpstreamError(logger, error.Code, error.Message);
                feed.UpdateStatus(s => s with { LastError = $"{error.Code}: {error.Message}" });
                return false;
            case UnreadableFrame unreadable:
                LogUnreadable(logger, unreadable.EventType, unreadable.Error);
                return false;
            default:
                return false;
        }
    }

    private void OnActivity(CancellationTokenSource connection, TimeSpan stallTimeout)
    {
        try
        {
            connection.CancelAfter(stallTimeout);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        var now = time.GetUtcNow();
        feed.UpdateStatus(s => s.LastHeartbeat is { } last && now - last < TimeSpan.FromSeconds(1) ? s : s with { LastHeartbeat = now });
    }

    private string BuildPath(bool firstConnect)
    {
        if (!firstConnect || feed.LastSequence > 0)
        {
            return StreamPath;
        }

        var since = (time.GetUtcNow() - options.Value.InitialWindow).ToString("O", CultureInfo.InvariantCulture);
        return $"{StreamPath}?since={Uri.EscapeDataString(since)}";
    }

    private static string Describe(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "401: the API rejected the console's service token (check StreamApi:ClientId and ClientSecret)",
        HttpStatusCode.Forbidden => "403: the console's service token lacks the events:read scope",
        HttpStatusCode.ServiceUnavailable => "503: the API is over its connection limit or not ready",
        _ => $"{(int)status} {status}",
    };

    private sealed record ReadResult(bool Connected, TimeSpan? ServerRetry, string Reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream stream connected as subscriber {SubscriberId}, last sequence {LastSequence}")]
    private static partial void LogConnected(ILogger logger, string? subscriberId, long lastSequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream stream ended ({Reason}); reconnecting in {DelayMs:0} ms from sequence {LastSequence}")]
    private static partial void LogReconnecting(ILogger logger, string reason, double delayMs, long lastSequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream began epoch {Epoch}: history after sequence {ResumeAfter} was replaced")]
    private static partial void LogEpochChanged(ILogger logger, long epoch, long resumeAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream resync ({Reason}): oldest retained sequence is {OldestSequence}")]
    private static partial void LogResync(ILogger logger, string? reason, long? oldestSequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream error frame {Code}: {Message}")]
    private static partial void LogUpstreamError(ILogger logger, string? code, string? message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored an unreadable '{EventType}' frame: {Error}")]
    private static partial void LogUnreadable(ILogger logger, string eventType, string error);
}
