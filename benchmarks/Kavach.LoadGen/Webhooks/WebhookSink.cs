using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Kavach.LoadGen.Measuring;
using Kavach.LoadGen.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.LoadGen.Webhooks;

/// <summary>
/// A fast webhook receiver for the push-delivery benchmark: raw Kestrel (the empty builder, like the OTLP sink), every
/// path an endpoint of its own, each delivery answered 200 at once. It keeps nothing but counts: per path the sequences
/// (once, in order), first and last arrival, the worst emit→delivery latency (from <c>"t"</c> in the event's data, the
/// machine's monotonic clock), and with <c>--verify</c> whether the Standard Webhooks signature matches the secret the
/// benchmark registered for that path (<c>POST /_secrets</c>, <c>{"/path":["whsec_…"]}</c>). <c>GET /stats?prefix=/x/</c>
/// serves the tallies of the paths under a prefix, with their latency histogram.
/// </summary>
public sealed class WebhookSink : IAsyncDisposable
{
    private const string StatsPath = "/stats";
    private const string SecretsPath = "/_secrets";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly bool _verify;
    private readonly ConcurrentDictionary<string, EndpointTally> _endpoints = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LatencyHistogram> _latencyByPrefix = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[][]> _keys = new(StringComparer.Ordinal);
    private long _deliveries;
    private long _bytes;
    private long _unreadable;

    private WebhookSink(WebApplication app, bool verify)
    {
        _app = app;
        _verify = verify;
    }

    public int Port { get; private set; }

    public long Deliveries => Interlocked.Read(ref _deliveries);

    public long Bytes => Interlocked.Read(ref _bytes);

    public static async Task<WebhookSink> StartAsync(int port, bool verify)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var sink = new WebhookSink(app, verify);
        app.Run(sink.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.Port = new Uri(address).Port;
        return sink;
    }

    /// <summary>
    /// Takes a thousand signed deliveries to itself (verified when <c>--verify</c> is on) and forgets them: the JIT's first
    /// work on the request path and on HMAC falls outside every measurement.
    /// </summary>
    public async Task WarmUpAsync(int requests = 1000)
    {
        const string WarmUpPath = "/_warmup/0";
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        _keys[WarmUpPath] = [key];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        for (var i = 1; i <= requests; i++)
        {
            var body = $"{{\"id\":\"w{i}\",\"type\":\"audit\",\"data\":{{\"t\":{Monotonic.Now}}},\"sequence\":{i}}}";
            using var request = new HttpRequestMessage(HttpMethod.Post, WarmUpPath)
            {
                Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            };
            var signature = System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes($"w{i}.0.{body}"));
            request.Headers.Add("webhook-id", $"w{i}");
            request.Headers.Add("webhook-timestamp", "0");
            request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(signature));
            using var answer = await http.SendAsync(request);
            answer.EnsureSuccessStatusCode();
        }

        _keys.TryRemove(WarmUpPath, out _);
        if (_verify && _endpoints.TryGetValue(WarmUpPath, out var warmUp) && warmUp.Summarize().BadSignatures > 0)
        {
            throw new InvalidOperationException("The sink could not verify its own warm-up signatures: its verification is broken.");
        }

        _endpoints.Clear();
        _latencyByPrefix.Clear();
        Interlocked.Exchange(ref _deliveries, 0);
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>The tallies of every path under <paramref name="prefix"/> and their latency.</summary>
    public object Stats(string prefix) => new
    {
        prefix,
        deliveries = Deliveries,
        bytes = Bytes,
        unreadable = Interlocked.Read(ref _unreadable),
        verify = _verify,
        latency = _latencyByPrefix.TryGetValue(prefix, out var histogram) ? histogram.Summarize() : HistogramSummary.Empty,
        endpoints = _endpoints.Values.Where(e => e.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Summarize()).ToList(),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (HttpMethods.IsGet(request.Method) && request.Path == StatsPath)
        {
            response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(response.Body, Stats(request.Query["prefix"].FirstOrDefault() ?? "/"), Json);
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (request.Path == SecretsPath)
        {
            var secrets = await JsonSerializer.DeserializeAsync<Dictionary<string, string[]>>(request.Body, Json) ?? [];
            foreach (var (path, values) in secrets)
            {
                _keys[path] = [.. values.Select(WebhookSignature.KeyOf)];
            }

            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var (body, length) = await RequestBody.ReadAsync(request.Body, request.ContentLength);
        try
        {
            var received = Monotonic.Now;
            var json = body.AsSpan(0, length);
            if (!TryReadNumber(json, "\"sequence\":"u8, last: true, out var sequence))
            {
                Interlocked.Increment(ref _unreadable);
                response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            // Events stamped 0 (seeded history, not sent by a timed emitter) carry no latency.
            long? latency = TryReadNumber(json, "\"t\":"u8, last: false, out var stamp) && stamp > 0 ? (received - stamp) / 1000 : null;
            var path = request.Path.Value ?? "/";
            var bad = _verify && (!_keys.TryGetValue(path, out var keys) || !WebhookSignature.Verify(keys,
                request.Headers["webhook-id"], request.Headers["webhook-timestamp"], request.Headers["webhook-signature"], json));
            _endpoints.GetOrAdd(path, p => new EndpointTally(p)).See(sequence, received, latency, bad);
            if (latency is { } micros)
            {
                _latencyByPrefix.GetOrAdd(PrefixOf(path), _ => new LatencyHistogram()).Record(micros);
            }

            Interlocked.Increment(ref _deliveries);
            Interlocked.Add(ref _bytes, length);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentLength = 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>"/many/17" → "/many/": the group a path's latency is counted in.</summary>
    private static string PrefixOf(string path)
    {
        var second = path.IndexOf('/', 1);
        return second < 0 ? path : path[..(second + 1)];
    }

    private static bool TryReadNumber(ReadOnlySpan<byte> json, ReadOnlySpan<byte> field, bool last, out long value)
    {
        var at = last ? json.LastIndexOf(field) : json.IndexOf(field);
        value = 0;
        return at >= 0 && Utf8Parser.TryParse(json[(at + field.Length)..].TrimStart((byte)' '), out value, out _);
    }
}
