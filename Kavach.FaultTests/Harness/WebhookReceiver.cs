using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kavach.FaultTests.Harness;

/// <summary>How the receiver answers: accept, fail, or take longer than the sender waits.</summary>
public enum ReceiverMode
{
    Accept,
    Fail500,
    Slow,
}

/// <summary>
/// One request the receiver got, in the order they came: the event in it, whether its signature verified, and whether
/// the sender got the receiver's 2xx (a slow answer the sender stopped waiting for is not accepted).
/// </summary>
public sealed record WebhookArrival(string WebhookId, long Sequence, string EventId, bool SignatureValid, long At)
{
    public bool Accepted { get; set; }
}

/// <summary>
/// A webhook receiver on 127.0.0.1, a real Kestrel server in the test process, that can be stopped and started again on
/// the same port (a receiver down), answer 500, or answer too late. It verifies every Standard Webhooks signature
/// with its own HMAC code, not the sender's library.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<WebhookArrival> _arrivals = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private WebApplication? _app;
    private byte[]? _secret;

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hooks/kavach");

    public ReceiverMode Mode { get; set; } = ReceiverMode.Accept;

    /// <summary>How long a <see cref="ReceiverMode.Slow"/> answer takes.</summary>
    public TimeSpan SlowAnswer { get; set; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<WebhookArrival> Arrivals => [.. _arrivals];

    public bool IsUp => _app is not null;

    /// <summary>The secret the webhook was created with (<c>whsec_</c> + base64).</summary>
    public void UseSecret(string secret) => _secret = Convert.FromBase64String(secret["whsec_".Length..]);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        app.MapPost("/hooks/kavach", (Func<HttpContext, Task<IResult>>)ReceiveAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        Port = new Uri(addresses.First()).Port;
        _app = app;
    }

    /// <summary>Down: the port refuses connections until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(TimeSpan.FromSeconds(5));
            await app.DisposeAsync();
        }
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var id = context.Request.Headers["webhook-id"].ToString();
        var valid = Verifies(id, context.Request.Headers["webhook-timestamp"].ToString(), body, context.Request.Headers["webhook-signature"].ToString());
        long sequence = -1;
        var eventId = "";
        try
        {
            using var json = JsonDocument.Parse(body);
            sequence = json.RootElement.GetProperty("sequence").GetInt64();
            eventId = json.RootElement.GetProperty("id").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
        }

        var arrival = new WebhookArrival(id, sequence, eventId, valid, _clock.ElapsedMilliseconds);
        _arrivals.Enqueue(arrival);
        switch (Mode)
        {
            case ReceiverMode.Fail500:
                return Results.StatusCode(500);
            case ReceiverMode.Slow:
                await Task.Delay(SlowAnswer, context.RequestAborted); // throws when the sender gives up first
                break;
        }

        // Written before the answer: a sender that reads this 204 sees an arrival already marked accepted.
        arrival.Accepted = !context.RequestAborted.IsCancellationRequested;
        return Results.NoContent();
    }

    /// <summary>Standard Webhooks: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}", one of the space-separated "v1,…" values.</summary>
    private bool Verifies(string id, string timestamp, string body, string signatures)
    {
        if (_secret is null || id.Length == 0 || !long.TryParse(timestamp, out var seconds)
            || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var expected = Convert.ToBase64String(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        return signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => s.StartsWith("v1,", StringComparison.Ordinal)
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s[3..]), Encoding.ASCII.GetBytes(expected)));
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
