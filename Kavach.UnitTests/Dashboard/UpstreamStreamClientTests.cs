using System.Collections.Concurrent;
using System.Text;
using Kavach.Client;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Feed;
using Kavach.Dashboard.Services.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Kavach.UnitTests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// The upstream client against a small SSE server that misbehaves the way a restarted replica can: it closes the
/// stream, then resends events the client already has.
/// </summary>
[TestClass]
public sealed class UpstreamStreamClientTests
{
    private const string StreamPath = "/api/kavach/events/stream";

    private static readonly TimeSpan Timeout = FakeApi.Timeout;

    [TestMethod]
    public async Task ReconnectsWithLastEventIdAndShowsEachEventOnceInOrder()
    {
        var requests = new ConcurrentQueue<(string? LastEventId, string Query, string? Authorization)>();
        await using var server = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            requests.Enqueue((context.Request.Headers["Last-Event-ID"], context.Request.QueryString.Value ?? "", context.Request.Headers.Authorization));
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "retry: 50\n\n");
            await FakeApi.WriteAsync(context, "event: connected\ndata: {\"clientId\":\"c\",\"subscriberId\":\"kavach-console\",\"timestamp\":\"2026-11-28T09:00:00Z\"}\n\n");
            if (requests.Count == 1)
            {
                await FakeApi.WriteAsync(context, Frames(1, 2, 3));
                return;
            }

            await FakeApi.WriteAsync(context, ": heartbeat\n\n");
            await FakeApi.WriteAsync(context, Frames(2, 3, 4, 5));
            await Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
        }));

        var feed = TestEvents.Feed(time: TimeProvider.System);
        var status = new UpstreamStatusBoard();
        using var client = CreateClient(server.Address, feed, status);
        await client.StartAsync(CancellationToken.None);
        try
        {
            await FakeApi.WaitUntilAsync(() => feed.LastSequence == 5 && status.Current.State == UpstreamState.Connected);
        }
        finally
        {
            await client.StopAsync(CancellationToken.None);
        }

        var snapshot = feed.Snapshot();
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5 }, snapshot.Events.Select(e => e.Sequence).ToArray());
        Assert.AreEqual(0, snapshot.DuplicatesDropped, "the client dropped the two resent events before the feed saw them");
        Assert.AreEqual(1, status.Current.Reconnects);
        Assert.IsNotNull(status.Current.LastHeartbeat);

        var all = requests.ToArray();
        Assert.IsNull(all[0].LastEventId);
        StringAssert.StartsWith(all[0].Query, "?since=", "the first connection asks for recent history");
        Assert.AreEqual("3", all[1].LastEventId);
        Assert.AreEqual("Bearer test-token", all[1].Authorization);
    }

    /// <summary>
    /// The API's database was reset (or restored cold) while the console was away: the stream is at epoch 1 again, with
    /// lower sequences than the console has. The console follows it from where the resync says, instead of dropping
    /// every later event as older than what it holds and going silent.
    /// </summary>
    [TestMethod]
    public async Task FollowsAStreamWhoseEpochWentBackAndShowsOnlyItsNewHistory()
    {
        var requests = new ConcurrentQueue<string?>();
        await using var server = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            requests.Enqueue(context.Request.Headers["Last-Event-ID"]);
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "retry: 50\n\n");
            if (requests.Count == 1)
            {
                await FakeApi.WriteAsync(context, Connected(3) + Frame("3:4", 4) + Frame("3:5", 5));
                return;
            }

            await FakeApi.WriteAsync(context, Connected(1)
                + "event: resync\ndata: {\"reason\":\"cursor-ahead-of-stream\",\"oldestSequence\":1,\"epoch\":1}\n\n"
                + Frame("1", 1) + Frame("2", 2));
            await FakeApi.HoldOpenAsync(context);
        }));

        var feed = TestEvents.Feed(time: TimeProvider.System);
        using var client = CreateClient(server.Address, feed, new UpstreamStatusBoard());
        await client.StartAsync(CancellationToken.None);
        try
        {
            await FakeApi.WaitUntilAsync(() => feed.Snapshot().Events.Any(e => e.Sequence == 2));
        }
        finally
        {
            await client.StopAsync(CancellationToken.None);
        }

        var snapshot = feed.Snapshot();
        Assert.AreEqual("3:5", requests.ElementAt(1));
        CollectionAssert.AreEqual(new long[] { 1, 2 }, snapshot.Events.Select(e => e.Sequence).ToArray(),
            "the events of the history that is gone are no longer shown");
        Assert.AreEqual(2, snapshot.LastSequence);
    }

    /// <summary>
    /// The waits are read off the client's own timers on a fake clock, not measured on the wall clock: on a loaded
    /// machine a 50 ms wait can take 180 ms, which made the measured delays look as if they did not grow.
    /// </summary>
    [TestMethod]
    public async Task BacksOffAfterRejectionsAndSaysWhy()
    {
        var attempts = 0;
        await using var server = await FakeApi.StartAsync(app => app.MapGet(StreamPath, context =>
        {
            Interlocked.Increment(ref attempts);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        }));

        var clock = new FakeTimeProvider(TestEvents.Start);
        var timers = new TimerWatch(clock);
        var feed = TestEvents.Feed();
        var board = new UpstreamStatusBoard();
        using var client = CreateClient(server.Address, feed, board, timers);
        await client.StartAsync(CancellationToken.None);
        var waits = new List<TimeSpan>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                // Advanced only once the client has set its timer, so no wait is skipped or cut short.
                waits.Add(await timers.Created.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
                clock.Advance(waits[^1]);
            }

            await FakeApi.WaitUntilAsync(() => Volatile.Read(ref attempts) >= 4);
        }
        finally
        {
            await client.StopAsync(CancellationToken.None);
        }

        var status = board.Current;
        Assert.AreEqual(UpstreamState.Reconnecting, status.State);
        StringAssert.StartsWith(status.LastError, "401");
        var shown = string.Join(", ", waits.Select(w => w.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)));
        for (var i = 0; i < waits.Count; i++)
        {
            var nominal = 50 * Math.Pow(2, i);
            Assert.IsInRange(0.8 * nominal, 1.2 * nominal, waits[i].TotalMilliseconds, $"waits double from 50 ms, ±20 %: {shown} ms");
        }
    }

    private static UpstreamStreamClient CreateClient(Uri address, EventFeed feed, UpstreamStatusBoard status, TimeProvider? time = null)
    {
        var api = new StreamApiOptions
        {
            BaseAddress = address,
            Token = "test-token",
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromSeconds(2),
        };
        var client = new KavachClient(new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan }, new KavachClientOptions
        {
            BaseAddress = address,
            AccessTokenProvider = _ => ValueTask.FromResult<string?>(api.Token),
            ReconnectInitialDelay = api.ReconnectInitialDelay,
            ReconnectMaxDelay = api.ReconnectMaxDelay,
            TimeProvider = time ?? TimeProvider.System,
        });
        return new UpstreamStreamClient(client, feed, status, Microsoft.Extensions.Options.Options.Create(api), time ?? TimeProvider.System,
            NullLogger<UpstreamStreamClient>.Instance);
    }

    private static string Connected(long epoch) =>
        $"event: connected\ndata: {{\"clientId\":\"c\",\"subscriberId\":\"kavach-console\",\"epoch\":{epoch},\"timestamp\":\"2026-11-28T09:00:00Z\"}}\n\n";

    private static string Frame(string id, long sequence) =>
        $"id: {id}\nevent: audit\ndata: {{\"id\":\"e{id}\",\"type\":\"audit\",\"timestamp\":\"2026-11-28T09:00:0{sequence}Z\",\"data\":{{}},\"agentId\":\"a\",\"sequence\":{sequence}}}\n\n";

    private static string Frames(params long[] sequences)
    {
        var frames = new StringBuilder();
        foreach (var s in sequences)
        {
            frames.Append($"id: {s}\nevent: audit\ndata: {{\"id\":\"e{s}\",\"type\":\"audit\",\"timestamp\":\"2026-11-28T09:00:0{s}Z\",\"data\":{{\"action\":\"read\"}},\"agentId\":\"a\",\"sequence\":{s}}}\n\n");
        }

        return frames.ToString();
    }
}
