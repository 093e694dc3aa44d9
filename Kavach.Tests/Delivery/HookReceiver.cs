using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kavach.Tests.Delivery;

/// <summary>One request a <see cref="HookReceiver"/> got: the Standard Webhooks headers and the body's exact bytes.</summary>
public sealed record HookDelivery(string? Id, string? Timestamp, IReadOnlyList<string> Signatures, byte[] Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string Type => Json.GetProperty("type").GetString()!;

    /// <summary>
    /// Which of the message's signatures <paramref name="secret"/> makes: the receiver's own HMAC-SHA256 over
    /// <c>id.timestamp.body</c> with the secret's base64 bytes (Standard Webhooks), independent of the sender's code.
    /// </summary>
    public int SignaturesMadeBy(string secret)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        var signed = Encoding.UTF8.GetBytes($"{Id}.{Timestamp}.").Concat(Body).ToArray();
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
        return Signatures.Count(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), Encoding.ASCII.GetBytes(expected)));
    }

    /// <summary>What a receiver that knows only <paramref name="secret"/> concludes: one of the signatures is its.</summary>
    public bool VerifiesWith(string secret) => SignaturesMadeBy(secret) > 0;
}

/// <summary>
/// A webhook receiver on 127.0.0.1 (Kestrel, a real socket): answers every request with <see cref="Status"/> and keeps
/// what arrived, for a test to wait on with a bound.
/// </summary>
public sealed class HookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<HookDelivery> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);

    private HookReceiver(WebApplication app) => _app = app;

    public HttpStatusCode Status { get; set; } = HttpStatusCode.NoContent;

    /// <summary>Where to send: <c>http://127.0.0.1:port/hook</c>.</summary>
    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<HookDelivery> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<HookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new HookReceiver(app);
        app.MapPost("/hook", (Delegate)receiver.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/hook");
        return receiver;
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers;
        var delivery = new HookDelivery(headers["webhook-id"].FirstOrDefault(), headers["webhook-timestamp"].FirstOrDefault(),
            headers["webhook-signature"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries), body.ToArray());
        lock (_received)
        {
            _received.Add(delivery);
        }

        _arrived.Release();
        return Results.StatusCode((int)Status);
    }

    /// <summary>The first delivery that matches, waiting for it at most <paramref name="timeout"/>.</summary>
    public async Task<HookDelivery> WaitForAsync(Func<HookDelivery, bool> match, TimeSpan timeout, string what)
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
                    string.Join(", ", Received.Select(r => r.Type)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrived.Dispose();
    }
}
