using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;

namespace Kavach.Tests.Support;

/// <summary>A received stream event: the SSE fields plus the parsed data.</summary>
public sealed record ReceivedEvent(string EventType, string? Id, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public long Sequence => Json.GetProperty("sequence").GetInt64();

    public string? AgentId => Json.TryGetProperty("agentId", out var agent) ? agent.GetString() : null;

    /// <summary>One of the twelve event types, as opposed to connected, resync or error.</summary>
    public bool IsStreamEvent => Kavach.StreamApi.Events.EventTypeCatalog.IsKnown(EventType);
}

/// <summary>
/// An open SSE stream read in the background with the framework's SseParser; events queue up for the test to
/// take with bounded waits. Deliberately a raw, single-connection protocol probe and not Kavach.Client: these tests
/// judge the server's wire contract (status codes, headers, the exact frames and their order, what a resume sends),
/// and a client that reconnects and drops duplicates would hide exactly the faults they look for. Reading the
/// stream as an application does is tested with Kavach.Client (Client/KavachClientSystemTests, and the fault suite).
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ReceivedEvent> _events = Channel.CreateUnbounded<ReceivedEvent>();
    private readonly Task _reading;

    private SseClient(HttpClient http, HttpResponseMessage response, Stream? body)
    {
        _http = http;
        _response = response;
        if (body is null)
        {
            _events.Writer.TryComplete();
            _reading = Task.CompletedTask;
        }
        else
        {
            _reading = Task.Run(() => ReadAsync(body));
        }
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Completes when the server ends the stream (or the connection breaks).</summary>
    public Task Ended => _reading;

    public int Heartbeats { get; private set; }

    public static Task<SseClient> ConnectAsync(Uri baseAddress, string? token, string query = "",
        string? lastEventId = null, Action<HttpRequestMessage>? configure = null) =>
        ConnectAsync(new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan }, token, query, lastEventId, configure);

    /// <summary>Opens a stream with the given client, which the returned object then owns.</summary>
    public static async Task<SseClient> ConnectAsync(HttpClient http, string? token, string query = "",
        string? lastEventId = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/kavach/events/stream" + query);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        configure?.Invoke(request);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            // A problem-details answer: keep it whole for the test to read.
            await response.Content.LoadIntoBufferAsync();
            return new SseClient(http, response, body: null);
        }

        return new SseClient(http, response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event of any type (connected, resync, error or a stream event).</summary>
    public async Task<ReceivedEvent> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No event arrived in time.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The stream ended.");
        }
    }

    /// <summary>
    /// Collects stream events (and, with <paramref name="withSignals"/>, every other event but heartbeats) until
    /// <paramref name="done"/> says so; fails after the timeout.
    /// </summary>
    public async Task<List<ReceivedEvent>> CollectAsync(Func<List<ReceivedEvent>, bool> done, TimeSpan timeout, bool withSignals = false)
    {
        var collected = new List<ReceivedEvent>();
        var deadline = DateTime.UtcNow + timeout;
        while (!done(collected))
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Collected {collected.Count} events; the condition was not met in {timeout}.");
            }

            var next = await NextAsync(remaining);
            if (next.IsStreamEvent || withSignals)
            {
                collected.Add(next);
            }
        }

        return collected;
    }

    /// <summary>Everything the stream held until it ended.</summary>
    public async Task<List<ReceivedEvent>> ReadToEndAsync(TimeSpan timeout)
    {
        await _reading.WaitAsync(timeout);
        var events = new List<ReceivedEvent>();
        while (_events.Reader.TryRead(out var item))
        {
            events.Add(item);
        }

        return events;
    }

    private async Task ReadAsync(Stream body)
    {
        try
        {
            var parser = SseParser.Create(body, (type, data) => System.Text.Encoding.UTF8.GetString(data));
            await foreach (var item in parser.EnumerateAsync(_stop.Token))
            {
                await _events.Writer.WriteAsync(new ReceivedEvent(item.EventType, item.EventId, item.Data));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        _http.Dispose();
        _stop.Dispose();
    }
}
