using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;
using Kavach.Contracts;

namespace Kavach.AttackTests.Harness;

/// <summary>One frame as the server wrote it.</summary>
public sealed record Frame(string Type, string? Id, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public bool IsEvent => KavachEventTypes.IsKnown(Type);
}

/// <summary>
/// A raw SSE connection read in the background: the attacker's view of the wire, with no client library to hide a
/// frame the server should never have sent.
/// </summary>
public sealed class RawStream : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Frame> _frames = Channel.CreateUnbounded<Frame>();
    private readonly Task _reading;

    private RawStream(HttpClient http, HttpResponseMessage response, Stream? body)
    {
        _http = http;
        _response = response;
        _reading = body is null ? Task.CompletedTask : Task.Run(() => ReadAsync(body));
        if (body is null)
        {
            _frames.Writer.TryComplete();
        }
    }

    public HttpStatusCode Status => _response.StatusCode;

    public HttpResponseMessage Response => _response;

    /// <summary>Completes when the server ends the stream.</summary>
    public Task Ended => _reading;

    public static async Task<RawStream> OpenAsync(Uri baseAddress, string? token, string query = "", string? lastEventId = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
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

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            await response.Content.LoadIntoBufferAsync();
        }

        return new RawStream(http, response, response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStreamAsync() : null);
    }

    /// <summary>The body of a refused connection (401, 403, 429, 503…).</summary>
    public Task<string> RefusalAsync() => _response.Content.ReadAsStringAsync();

    public async Task<Frame?> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Every frame that arrives within <paramref name="window"/> (or until the stream ends).</summary>
    public async Task<List<Frame>> CollectAsync(TimeSpan window)
    {
        var frames = new List<Frame>();
        var until = DateTime.UtcNow + window;
        while (DateTime.UtcNow < until && await NextAsync(until - DateTime.UtcNow) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    /// <summary>Frames until one satisfies <paramref name="done"/>, the stream ends, or the timeout passes.</summary>
    public async Task<List<Frame>> CollectUntilAsync(Func<Frame, bool> done, TimeSpan timeout)
    {
        var frames = new List<Frame>();
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until && await NextAsync(until - DateTime.UtcNow) is { } frame)
        {
            frames.Add(frame);
            if (done(frame))
            {
                break;
            }
        }

        return frames;
    }

    private async Task ReadAsync(Stream body)
    {
        try
        {
            var parser = SseParser.Create(body, (type, data) => System.Text.Encoding.UTF8.GetString(data));
            await foreach (var item in parser.EnumerateAsync(_stop.Token))
            {
                await _frames.Writer.WriteAsync(new Frame(item.EventType, item.EventId, item.Data));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
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
