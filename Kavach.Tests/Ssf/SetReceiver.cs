using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kavach.Tests.Ssf;

/// <summary>
/// An SSF receiver's push endpoint (RFC 8935) on a real Kestrel socket at 127.0.0.1: it records every SET POSTed to it
/// with the headers that came with it, and answers 202 — or, while <see cref="Refusal"/> is set, 400 with that RFC 8935
/// error JSON.
/// </summary>
public sealed class SetReceiver : IAsyncDisposable
{
    public sealed record Received(string Set, string? ContentType, string? Authorization);

    private readonly WebApplication _app;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();

    private SetReceiver(WebApplication app) => _app = app;

    /// <summary>While set, each SET is refused with 400 and this body, e.g. <c>{"err":"invalid_key","description":"…"}</c>.</summary>
    public string? Refusal { get; set; }

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<SetReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new SetReceiver(app);
        app.MapPost("/events", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var set = await reader.ReadToEndAsync(context.RequestAborted);
            if (receiver.Refusal is { } refusal)
            {
                return Results.Content(refusal, "application/json", statusCode: StatusCodes.Status400BadRequest);
            }

            await receiver._received.Writer.WriteAsync(new Received(set, context.Request.ContentType, context.Request.Headers.Authorization.ToString()));
            return Results.StatusCode(StatusCodes.Status202Accepted);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(new Uri(address), "/events");
        return receiver;
    }

    /// <summary>The next SET received, within <paramref name="timeout"/>.</summary>
    public async Task<Received> NextAsync(TimeSpan timeout) => await _received.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    /// <summary>Whatever has arrived by now, without waiting.</summary>
    public List<Received> Drain()
    {
        var all = new List<Received>();
        while (_received.Reader.TryRead(out var received))
        {
            all.Add(received);
        }

        return all;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
