using System.Collections.Concurrent;
using System.Text;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Feed;
using Kavach.Dashboard.Services.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// The upstream client against a small SSE server that misbehaves the way a restarted replica can: it closes the
/// stream, then resends events the client already has.
/// </summary>
[TestClass]
public sealed class UpstreamStreamClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [TestMethod]
    public async Task ReconnectsWithLastEventIdAndShowsEachEventOnceInOrder()
    {
        var requests = new ConcurrentQueue<(string? LastEventId, string Query, string? Authorization)>();
        await using var server = await StartServerAsync(async context =>
        {
            requests.Enqueue((context.Request.Headers["Last-Event-ID"], context.Request.QueryString.Value ?? "", context.Request.Headers.Authorization));
            context.Response.ContentType = "text/event-stream";
            await Write(context, "retry: 50\n\n");
            await Write(context, "event: connected\ndata: {\"clientId\":\"c\",\"subscriberId\":\"kavach-console\",\"timestamp\":\"2026-11-28T09:00:00Z\"}\n\n");
            if (requests.Count == 1)
            {
                await Write(context, Frames(1, 2, 3));
                return;
            }

            await Write(context, ": heartbeat\n\n");
            await Write(context, Frames(2, 3, 4, 5));
            await Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
        });

        var feed = TestEvents.Feed(time: TimeProvider.System);
        using var client = CreateClient(server.Address, feed);
        await client.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntil(() => feed.LastSequence == 5 && feed.Snapshot().Status.State == UpstreamState.Connected);
        }
        finally
        {
            await client.StopAsync(CancellationToken.None);
        }

        var snapshot = feed.Snapshot();
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5 }, snapshot.Events.Select(e => e.Sequence).ToArray());
        Assert.AreEqual(2, snapshot.DuplicatesDropped);
        Assert.AreEqual(1, snapshot.Status.Reconnects);
        Assert.IsNotNull(snapshot.Status.LastHeartbeat);

        var all = requests.ToArray();
        Assert.IsNull(all[0].LastEventId);
        StringAssert.StartsWith(all[0].Query, "?since=", "the first connection asks for recent history");
        Assert.AreEqual("3", all[1].LastEventId);
        Assert.AreEqual("Bearer test-token", all[1].Authorization);
    }

    [TestMethod]
    public async Task BacksOffAfterRejectionsAndSaysWhy()
    {
        var attempts = new ConcurrentQueue<DateTimeOffset>();
        await using var server = await StartServerAsync(context =>
        {
            attempts.Enqueue(DateTimeOffset.UtcNow);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        });

        var feed = TestEvents.Feed(time: TimeProvider.System);
        using var client = CreateClient(server.Address, feed);
        await client.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntil(() => attempts.Count >= 4);
        }
        finally
        {
            await client.StopAsync(CancellationToken.None);
        }

        var status = feed.Snapshot().Status;
        Assert.AreEqual(UpstreamState.Reconnecting, status.State);
        StringAssert.StartsWith(status.LastError, "401");
        var times = attempts.ToArray();
        var gaps = times.Zip(times.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToArray();
        Assert.IsGreaterThan(gaps[0] * 1.5, gaps[2], $"delays grow: {string.Join(", ", gaps.Select(g => g.ToString("0")))} ms");
    }

    private static UpstreamStreamClient CreateClient(Uri address, EventFeed feed)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(UpstreamStreamClient.HttpClientName, c => c.BaseAddress = address);
        var http = services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
        var api = Microsoft.Extensions.Options.Options.Create(new StreamApiOptions
        {
            BaseAddress = address,
            Token = "test-token",
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromSeconds(2),
        });
        var tokens = new ServiceTokenProvider(api, Microsoft.Extensions.Options.Options.Create(new KavachAuthOptions()), TimeProvider.System);
        return new UpstreamStreamClient(http, tokens, feed, api, TimeProvider.System, NullLogger<UpstreamStreamClient>.Instance);
    }

    private static string Frames(params long[] sequences)
    {
        var frames = new StringBuilder();
        foreach (var s in sequences)
        {
            frames.Append($"id: {s}\nevent: audit\ndata: {{\"id\":\"e{s}\",\"type\":\"audit\",\"timestamp\":\"2026-11-28T09:00:0{s}Z\",\"data\":{{\"action\":\"read\"}},\"agentId\":\"a\",\"sequence\":{s}}}\n\n");
        }

        return frames.ToString();
    }

    private static async Task Write(HttpContext context, string text)
    {
        await context.Response.WriteAsync(text, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task<TestServer> StartServerAsync(RequestDelegate stream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet(UpstreamStreamClient.StreamPath, stream);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, new Uri(address));
    }

    private sealed record TestServer(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync().WaitAsync(Timeout);
            await App.DisposeAsync();
        }
    }
}
