using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Kavach.LoadGen.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.LoadGen.Telemetry;

/// <summary>
/// Where the replicas' OpenTelemetry exporter sends, as the Aspire dashboard or a collector would take it: OTLP/HTTP
/// with protobuf bodies on <c>/v1/traces</c>, <c>/v1/metrics</c> and <c>/v1/logs</c>, each answered 200 with an empty
/// export response (an empty protobuf message: no partial success). It keeps nothing, only counts requests, bytes and
/// items; <c>GET /stats</c> serves the counts so far. Raw Kestrel, no routing or logging: cheap per request, so that
/// what it costs is the exporter's side.
/// </summary>
public sealed class OtlpSink : IAsyncDisposable
{
    private const string Protobuf = "application/x-protobuf";
    private readonly WebApplication _app;

    private OtlpSink(WebApplication app)
    {
        _app = app;
    }

    public int Port { get; private set; }

    public OtlpCounts Counts { get; private set; } = new();

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0: any free port, see <see cref="Port"/>).</summary>
    public static async Task<OtlpSink> StartAsync(int port)
    {
        // The empty builder: no configuration files (whose reload watcher would watch the working directory's whole
        // tree, and cost the sink CPU whenever anything in it changes), no logging providers, only Kestrel.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var sink = new OtlpSink(app);
        app.Run(sink.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.Port = new Uri(address).Port;
        return sink;
    }

    /// <summary>
    /// Answers a few hundred empty exports of each signal to itself and forgets them, so that the JIT's first work on
    /// its request path is done before anything is measured, not inside the first workload's stretch.
    /// </summary>
    public async Task WarmUpAsync(int requests = 200)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        for (var i = 0; i < requests; i++)
        {
            foreach (var signal in new[] { "traces", "metrics", "logs" })
            {
                using var body = new ByteArrayContent([]);
                body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(Protobuf);
                using var answer = await http.PostAsync($"/v1/{signal}", body);
                answer.EnsureSuccessStatusCode();
            }
        }

        Counts = new OtlpCounts();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (HttpMethods.IsGet(request.Method) && request.Path == "/stats")
        {
            response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(response.Body, Counts.Snapshot());
            return;
        }

        var signal = request.Path.StartsWithSegments("/v1", out var rest) ? Counts.For(rest.Value?.Trim('/') ?? "") : null;
        if (!HttpMethods.IsPost(request.Method) || signal is null)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var (body, length) = await RequestBody.ReadAsync(request.Body, request.ContentLength);
        long items;
        bool wellFormed;
        try
        {
            if (string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase))
            {
                await using var unzip = new GZipStream(new MemoryStream(body, 0, length), CompressionMode.Decompress);
                var (message, messageLength) = await RequestBody.ReadAsync(unzip, null);
                wellFormed = OtlpPayload.TryCountItems(message.AsSpan(0, messageLength), out items);
                ArrayPool<byte>.Shared.Return(message);
            }
            else
            {
                wellFormed = OtlpPayload.TryCountItems(body.AsSpan(0, length), out items);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }

        if (!wellFormed)
        {
            Counts.CountMalformed();
            response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        signal.Add(length, items);

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Protobuf;
        response.ContentLength = 0;
    }
}
