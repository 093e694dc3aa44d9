using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kavach.Tests.Delivery;

/// <summary>
/// A webhook receiver on a real socket (127.0.0.1): it records every request and checks its signature with its own
/// HMAC-SHA256 over <c>{id}.{timestamp}.{body}</c> (Standard Webhooks), written here apart from the service's library.
/// How it answers is the test's to choose, and it can be stopped and started again on the same port. It may start
/// before the secrets exist (the API makes them): then <see cref="ReceivedWebhook.SignatureValid"/> is false and a test
/// checks with <see cref="ReceivedWebhook.VerifiesWith"/>.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly byte[][] _keys;
    private readonly SemaphoreSlim _arrived = new(0);
    private WebApplication? _app;

    private WebhookReceiver(int port, IEnumerable<string> secrets)
    {
        Port = port;
        _keys = [.. secrets.Select(KeyOf)];
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    /// <summary>Every request to /hook, in the order they came.</summary>
    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>Requests to any other path (where a redirect would have led).</summary>
    public ConcurrentQueue<string> Elsewhere { get; } = new();

    /// <summary>The status to answer a request to /hook with (a 3xx redirects to /elsewhere); 200 at once unless set.</summary>
    public Func<ReceivedWebhook, Task<int>> Answer { get; set; } = _ => Task.FromResult(200);

    /// <summary>A secret as the service makes them: whsec_ and 32 random bytes in base64.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>A port nothing listens on now (taken from the system, then closed).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public static async Task<WebhookReceiver> StartAsync(IEnumerable<string>? secrets = null, int? port = null)
    {
        var receiver = new WebhookReceiver(port ?? FreePort(), secrets ?? []);
        await receiver.StartAsync();
        return receiver;
    }

    /// <summary>Starts listening (again) on <see cref="Port"/>.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
            var (id, timestamp, signature) = (request.Headers["webhook-id"].ToString(), request.Headers["webhook-timestamp"].ToString(), request.Headers["webhook-signature"].ToString());
            var received = new ReceivedWebhook(id, timestamp, signature, request.ContentType, body.ToArray(), Verifies(id, timestamp, signature, body.ToArray()));
            Received.Enqueue(received);
            _arrived.Release();
            var status = await Answer(received);
            received.Answered = status;
            return status is >= 300 and < 400 ? Results.Redirect("/elsewhere", permanent: false, preserveMethod: true) : Results.StatusCode(status);
        });
        app.Map("/{**rest}", (HttpRequest request) =>
        {
            Elsewhere.Enqueue(request.Path);
            return Results.Ok();
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _arrived.Dispose();
    }

    /// <summary>The first request to /hook that matches, waiting for it at most <paramref name="timeout"/>.</summary>
    public async Task<ReceivedWebhook> WaitForAsync(Func<ReceivedWebhook, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Received.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                Assert.Fail($"The receiver did not get {what} within {timeout.TotalSeconds:0} s; it got {Received.Count} requests: " +
                    string.Join(", ", Received.Select(r => r.Id)));
            }
        }
    }

    /// <summary>The requests the receiver answered with a 2xx: what it accepted, in order (a retry of one it accepted shows twice).</summary>
    public List<ReceivedWebhook> Accepted => [.. Received.Where(r => r.Answered is >= 200 and < 300)];

    /// <summary>The HMAC key of a secret as the service makes them (<c>whsec_</c> and base64).</summary>
    public static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);

    /// <summary>The Standard Webhooks signature: HMAC-SHA256 over <c>{id}.{timestamp}.{body}</c>, the body's exact bytes.</summary>
    public static byte[] Sign(byte[] key, string id, string timestamp, byte[] body)
    {
        byte[] signed = [.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body];
        return HMACSHA256.HashData(key, signed);
    }

    /// <summary>True when every secret the receiver knows signed the request, recently; false when it knows none.</summary>
    private bool Verifies(string id, string timestamp, string signatures, byte[] body)
    {
        if (_keys.Length == 0 || !long.TryParse(timestamp, out var seconds) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var offered = signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s.StartsWith("v1,", StringComparison.Ordinal))
            .Select(s => s["v1,".Length..])
            .ToList();
        return _keys.All(key => offered.Contains(Convert.ToBase64String(Sign(key, id, timestamp, body))));
    }
}
