using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.UnitTests.Support;

/// <summary>A small in-process HTTP server standing in for the stream API, to misbehave on purpose.</summary>
internal sealed class FakeApi : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly WebApplication _app;

    private FakeApi(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<FakeApi> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeApi(app, new Uri(address));
    }

    public static async Task WriteAsync(HttpContext context, string text)
    {
        await context.Response.WriteAsync(text, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>Event frames as the API writes them, for the given sequences (first epoch).</summary>
    public static string Frames(params long[] sequences) => string.Concat(sequences.Select(s =>
        $"event: audit\ndata: {{\"id\":\"e{s}\",\"type\":\"audit\",\"timestamp\":\"2026-11-28T09:00:00Z\",\"data\":{{}},\"sequence\":{s}}}\nid: {s}\n\n"));

    public static Task HoldOpenAsync(HttpContext context) =>
        Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(Timeout);
        await _app.DisposeAsync();
    }
}
