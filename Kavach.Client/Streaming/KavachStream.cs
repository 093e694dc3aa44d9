using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>
/// The stream as one endless sequence: each event once, in order, across any number of reconnects. Enumerate it
/// (once); read <see cref="Cursor"/> to save where you are. Every disconnect — a replica killed, a proxy timeout, a
/// stall, <c>SLOW_CONSUMER</c>, <c>TOKEN_EXPIRED</c> — is followed by a reconnect with Last-Event-ID and a fresh
/// token; events the server sends again are dropped. A 401 or 403 ends the enumeration with
/// <see cref="KavachAuthorizationException"/>, a bad filter with <see cref="KavachRequestException"/>.
/// </summary>
public sealed class KavachStream : IAsyncEnumerable<StreamItem>
{
    private readonly HttpClient _http;
    private readonly KavachClientOptions _options;
    private readonly StreamRequest _request;
    private readonly DeliveryGate _gate;
    private CancellationTokenSource? _connection;
    private int _enumerated;
    private int _reconnects;
    private long _lastActivityTicks;

    internal KavachStream(HttpClient http, KavachClientOptions options, StreamRequest request)
    {
        _http = http;
        _options = options;
        _request = request;
        _gate = new DeliveryGate(request.StartPosition());
    }

    /// <summary>
    /// Where the stream stands: the id of the last event delivered (or where a <c>resync</c> said it continues).
    /// Save it and pass it back as <see cref="StreamRequest.After"/> to resume there later. Null before any.
    /// </summary>
    public string? Cursor => _gate.Position?.ToString();

    /// <summary><see cref="Cursor"/> as a position.</summary>
    public StreamPosition? Position => _gate.Position;

    /// <summary>Connections opened after the first.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>When bytes (an event or a heartbeat) last arrived.</summary>
    public DateTimeOffset? LastActivity =>
        Interlocked.Read(ref _lastActivityTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Why the last connection ended (null while the first is open).</summary>
    public string? LastDisconnectReason { get; private set; }

    /// <summary>
    /// Raised when bytes arrive — events or the server's <c>: heartbeat</c> comments, which the enumeration never
    /// shows — at most once a second, for a "last heard from" indicator.
    /// </summary>
    public event Action<DateTimeOffset>? Activity;

    /// <summary>Raised (on the reading thread) before each reconnect wait: why the connection ended and how long the wait is.</summary>
    public event Action<string, TimeSpan>? Disconnected;

    /// <summary>Ends the current connection; the stream reconnects and resumes as after any drop.</summary>
    public void Reconnect()
    {
        try
        {
            _connection?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That connection had just ended on its own.
        }
    }

    public IAsyncEnumerator<StreamItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        Interlocked.Exchange(ref _enumerated, 1) == 0
            ? ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken)
            : throw new InvalidOperationException("A KavachStream is enumerated once; start another with KavachClient.Stream(request with { After = stream.Cursor }).");

    private async IAsyncEnumerable<StreamItem> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var backoff = new ReconnectBackoff(_options.ReconnectInitialDelay, _options.ReconnectMaxDelay);
        var stall = _options.EffectiveStallTimeout;
        TimeSpan? serverRetry = null;
        var first = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!first)
            {
                Interlocked.Increment(ref _reconnects);
                KavachClientTelemetry.Reconnect(LastDisconnectReason ?? "unknown");
            }

            first = false;
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _connection = connection;
            var ending = new ConnectionEnding();
            var response = await OpenAsync(connection, stall, ending, cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                using (response)
                {
                    await using var body = new ActivityStream(
                        await response.Content.ReadAsStreamAsync(connection.Token).ConfigureAwait(false),
                        () => OnActivity(connection, stall));
                    var parser = SseParser.Create(body, StreamFrameParser.Parse);
                    await using var frames = parser.EnumerateAsync(connection.Token).GetAsyncEnumerator(connection.Token);
                    while (true)
                    {
                        connection.CancelAfter(stall);
                        if (!await MoveNextAsync(frames, ending, cancellationToken).ConfigureAwait(false))
                        {
                            break;
                        }

                        // The caller's time with an item is not silence on the wire.
                        connection.CancelAfter(Timeout.InfiniteTimeSpan);
                        serverRetry = parser.ReconnectionInterval is var retry && retry > TimeSpan.Zero && retry != Timeout.InfiniteTimeSpan ? retry : serverRetry;
                        if (Admit(frames.Current, ending, backoff) is { } item)
                        {
                            yield return item;
                        }
                    }
                }
            }

            _connection = null;
            cancellationToken.ThrowIfCancellationRequested();
            if (ending.Refusal is { } refusal)
            {
                throw refusal;
            }

            var delay = ending.ReconnectAtOnce ? TimeSpan.Zero : backoff.Next(ending.RetryAfter ?? serverRetry);
            LastDisconnectReason = ending.Reason ?? "the server ended the stream";
            Disconnected?.Invoke(LastDisconnectReason, delay);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends the request; null when the connection failed in a way worth retrying (said in <paramref name="ending"/>).</summary>
    private async Task<HttpResponseMessage?> OpenAsync(CancellationTokenSource connection, TimeSpan stall, ConnectionEnding ending,
        CancellationToken cancellationToken)
    {
        using var activity = KavachClientTelemetry.Source.StartActivity("kavach.stream.connect", ActivityKind.Client);
        activity?.SetTag("kavach.stream.cursor", Cursor);
        HttpResponseMessage? response = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _request.PathAndQuery(_gate.Position is not null));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (await AccessToken.GetAsync(_options, connection.Token).ConfigureAwait(false) is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (Cursor is { } cursor)
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", cursor);
            }

            connection.CancelAfter(stall);
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connection.Token).ConfigureAwait(false);
            activity?.SetTag("http.response.status_code", (int)response.StatusCode);
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                return response;
            }

            if (RefusalReader.IsAuthorization(response.StatusCode))
            {
                ending.Refusal = await RefusalReader.AuthorizationAsync(response, connection.Token).ConfigureAwait(false);
            }
            else if (RefusalReader.IsRequestError(response.StatusCode))
            {
                ending.Refusal = new KavachRequestException((int)response.StatusCode,
                    await RefusalReader.ProblemAsync(response, connection.Token).ConfigureAwait(false));
            }
            else
            {
                ending.Reason = $"refused with {(int)response.StatusCode}";
                ending.RetryAfter = RefusalReader.RetryAfter(response);
            }

            activity?.SetStatus(ActivityStatusCode.Error, ending.Reason ?? ending.Refusal?.Message);
            response.Dispose();
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ending.Reason = "no answer in time";
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            ending.Reason = e.Message;
        }

        activity?.SetStatus(ActivityStatusCode.Error, ending.Reason);
        response?.Dispose();
        return null;
    }

    /// <summary>The next frame, or false when this connection is over (why is said in <paramref name="ending"/>).</summary>
    private static async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<SseItem<StreamItem>> frames, ConnectionEnding ending,
        CancellationToken cancellationToken)
    {
        try
        {
            return await frames.MoveNextAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ending.Reason ??= "the stream went silent or was dropped";
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            ending.Reason ??= e.Message;
        }

        return false;
    }

    /// <summary>What reaches the caller: new events (each once), and every signal; duplicates are dropped here.</summary>
    private StreamItem? Admit(SseItem<StreamItem> frame, ConnectionEnding ending, ReconnectBackoff backoff)
    {
        switch (frame.Data)
        {
            case KavachEvent e:
                var position = _gate.PositionOf(frame.EventId, e.Sequence);
                if (!_gate.Admit(position))
                {
                    KavachClientTelemetry.Duplicate();
                    return null;
                }

                KavachClientTelemetry.Delivered(e.Type, _options.TimeProvider.GetUtcNow() - e.Timestamp);
                return e with { Position = position };
            case Connected connected:
                _gate.Connected(connected.Epoch);
                backoff.Reset();
                return connected;
            case Resync resync:
                _gate.Apply(resync);
                return resync;
            case StreamError error:
                ending.Reason = $"{error.Code}: {error.Message}";
                ending.ReconnectAtOnce = error.Code == StreamErrorCodes.TokenExpired;
                return error;
            default:
                return frame.Data;
        }
    }

    private void OnActivity(CancellationTokenSource connection, TimeSpan stall)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var previous = Interlocked.Exchange(ref _lastActivityTicks, now.UtcTicks);
        if (now.UtcTicks - previous >= TimeSpan.TicksPerSecond)
        {
            Activity?.Invoke(now);
        }

        try
        {
            connection.CancelAfter(stall);
        }
        catch (ObjectDisposedException)
        {
            // The connection is over.
        }
    }

    /// <summary>How one connection ended, filled in as it happens.</summary>
    private sealed class ConnectionEnding
    {
        public string? Reason { get; set; }

        public TimeSpan? RetryAfter { get; set; }

        /// <summary>The token expired: a fresh one is a callback away, so no wait.</summary>
        public bool ReconnectAtOnce { get; set; }

        /// <summary>Set when retrying cannot help: the enumeration ends with it.</summary>
        public KavachException? Refusal { get; set; }
    }
}
