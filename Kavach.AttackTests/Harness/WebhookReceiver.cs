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

namespace Kavach.AttackTests.Harness;

/// <summary>One message a <see cref="WebhookReceiver"/> got, with whether its signature verified with the receiver's own HMAC code.</summary>
public sealed record ReceivedHook(string? Id, JsonElement Body, bool Verified)
{
    public string Type => Body.GetProperty("type").GetString()!;

    public string? AgentId => Body.TryGetProperty("agentId", out var agent) && agent.ValueKind == JsonValueKind.String ? agent.GetString() : null;
}

/// <summary>
/// A webhook receiver on 127.0.0.1 (Kestrel): what an attacker's or a victim's endpoint sees. It checks each
/// Standard Webhooks signature with HMAC-SHA256 written here, not with the sender's code or package.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<ReceivedHook> _received = [];

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>The secret the webhook was created with (set once it is), to verify signatures.</summary>
    public string? Secret { get; set; }

    public IReadOnlyList<ReceivedHook> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
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
        var (id, timestamp) = (headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString());
        var signatures = headers["webhook-signature"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var verified = Secret is { } secret && signatures.Contains(Sign(secret, id, timestamp, body.ToArray()));
        lock (_received)
        {
            _received.Add(new ReceivedHook(id, JsonDocument.Parse(body.ToArray()).RootElement.Clone(), verified));
        }

        return Results.NoContent();
    }

    private static string Sign(string secret, string id, string timestamp, byte[] body)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, (byte[])[.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body]));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
