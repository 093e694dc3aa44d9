using System.Collections.Concurrent;
using Kavach.Client;
using Kavach.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Kavach.UnitTests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Client;

/// <summary>The stream's resume, dedupe, token renewal and backoff against a server that misbehaves on purpose.</summary>
[TestClass]
public sealed class KavachStreamTests
{
    private const string StreamPath = "/api/kavach/events/stream";

    [TestMethod]
    public async Task ResumesWithLastEventIdAFreshTokenAndDeliversWhatTheServerSendsAgainOnce()
    {
        var requests = new ConcurrentQueue<(string? LastEventId, string? Authorization, string Query)>();
        await using var api = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            requests.Enqueue((context.Request.Headers["Last-Event-ID"], context.Request.Headers.Authorization, context.Request.QueryString.Value ?? ""));
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "retry: 50\n\nevent: connected\ndata: {\"subscriberId\":\"me\",\"epoch\":1}\n\n");
            if (requests.Count == 1)
            {
                await FakeApi.WriteAsync(context, FakeApi.Frames(1, 2, 3));
                return;
            }

            // A replica a little behind: it sends 2 and 3 again.
            await FakeApi.WriteAsync(context, ": heartbeat\n\n" + FakeApi.Frames(2, 3, 4, 5));
            await FakeApi.HoldOpenAsync(context);
        }));

        var tokens = 0;
        var client = Client(api, _ => ValueTask.FromResult<string?>($"token-{Interlocked.Increment(ref tokens)}"));
        var stream = client.Stream(new StreamRequest { Types = [KavachEventTypes.Audit, KavachEventTypes.AuthFailed], AgentId = "agent 7" });
        var events = await TakeEventsAsync(stream, 5);

        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5 }, events.Select(e => e.Sequence).ToArray());
        Assert.IsTrue(events.All(e => e is AuditEvent));
        Assert.AreEqual("5", stream.Cursor);
        var all = requests.ToArray();
        Assert.IsNull(all[0].LastEventId);
        Assert.AreEqual("3", all[1].LastEventId);
        Assert.AreEqual("Bearer token-1", all[0].Authorization);
        Assert.AreEqual("Bearer token-2", all[1].Authorization, "the token callback runs on every connect");
        Assert.AreEqual("?types=audit%2Cauth.failed&agentId=agent%207", all[0].Query);
        Assert.AreEqual(1, stream.Reconnects);
    }

    [TestMethod]
    public async Task StartsFromTheCallersCursorAndSendsSinceOnlyWithoutOne()
    {
        var requests = new ConcurrentQueue<(string? LastEventId, string Query)>();
        await using var api = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            requests.Enqueue((context.Request.Headers["Last-Event-ID"], context.Request.QueryString.Value ?? ""));
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "event: connected\ndata: {\"epoch\":2}\n\nevent: audit\ndata: {\"id\":\"x\",\"type\":\"audit\",\"timestamp\":\"2026-11-28T09:00:00Z\",\"data\":{},\"sequence\":42}\nid: 2:42\n\n");
            await FakeApi.HoldOpenAsync(context);
        }));

        var since = new DateTimeOffset(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);
        var resumed = Client(api).Stream(new StreamRequest { After = "2:41", Since = since });
        var fresh = Client(api).Stream(new StreamRequest { Since = since });
        var resumedEvents = await TakeEventsAsync(resumed, 1);
        await TakeEventsAsync(fresh, 1);

        Assert.AreEqual(new StreamPosition(2, 42), resumedEvents[0].Position);
        var all = requests.ToArray();
        Assert.AreEqual(("2:41", ""), all[0]);
        Assert.AreEqual((null, "?since=2026-11-28T08%3A00%3A00.0000000%2B00%3A00"), all[1]);
        Assert.ThrowsExactly<ArgumentException>(() => Client(api).Stream(new StreamRequest { After = "yesterday" }));
    }

    [TestMethod]
    public async Task WaitsWhatTheServersRetryAsksBeforeReconnecting()
    {
        var attempts = 0;
        await using var api = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            Interlocked.Increment(ref attempts);
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "retry: 700\n\nevent: connected\ndata: {}\n\n");
        }));

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var timers = new TimerWatch(clock);
        var client = Client(api, time: timers);
        using var stop = new CancellationTokenSource(FakeApi.Timeout);
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in client.Stream().WithCancellation(stop.Token))
            {
            }
        });

        var wait = await timers.Created.Reader.ReadAsync().AsTask().WaitAsync(FakeApi.Timeout);
        Assert.IsInRange(560, 840, wait.TotalMilliseconds, "retry: 700, ±20 %");
        clock.Advance(wait);
        await FakeApi.WaitUntilAsync(() => Volatile.Read(ref attempts) >= 2);
        await stop.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => reading);
    }

    [TestMethod]
    public async Task AStreamSilentForTheStallTimeoutIsDroppedAndResumed()
    {
        var attempts = 0;
        await using var api = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            var attempt = Interlocked.Increment(ref attempts);
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "event: connected\ndata: {}\n\n" + FakeApi.Frames(attempt));
            await FakeApi.HoldOpenAsync(context);
        }));

        var client = new KavachClient(new HttpClient(), new KavachClientOptions
        {
            BaseAddress = api.Address,
            StallTimeout = TimeSpan.FromMilliseconds(300),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(10),
        });
        var stream = client.Stream();
        var events = await TakeEventsAsync(stream, 2);

        CollectionAssert.AreEqual(new long[] { 1, 2 }, events.Select(e => e.Sequence).ToArray());
        StringAssert.Contains(stream.LastDisconnectReason, "silent");
    }

    [TestMethod]
    public async Task ATokenExpiredEndReconnectsAtOnceWithAFreshToken()
    {
        var requests = new ConcurrentQueue<string?>();
        await using var api = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            requests.Enqueue(context.Request.Headers.Authorization);
            context.Response.ContentType = "text/event-stream";
            var n = requests.Count;
            await FakeApi.WriteAsync(context, "retry: 60000\n\nevent: connected\ndata: {}\n\n" + FakeApi.Frames(n));
            if (n == 1)
            {
                await FakeApi.WriteAsync(context, "event: error\ndata: {\"code\":\"TOKEN_EXPIRED\",\"message\":\"expired\"}\n\n");
                return;
            }

            await FakeApi.HoldOpenAsync(context);
        }));

        var tokens = 0;
        var stream = Client(api, _ => ValueTask.FromResult<string?>($"t{Interlocked.Increment(ref tokens)}")).Stream();
        var items = new List<StreamItem>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var item in stream.WithCancellation(timeout.Token))
        {
            items.Add(item);
            if (items.OfType<KavachEvent>().Count() == 2)
            {
                break;
            }
        }

        Assert.AreEqual(new StreamError(StreamErrorCodes.TokenExpired, "expired"), items.OfType<StreamError>().Single());
        CollectionAssert.AreEqual(new[] { "Bearer t1", "Bearer t2" }, requests.ToArray(), "no 60 s retry wait: the cause is known");
    }

    [TestMethod]
    public async Task A401EndsTheEnumerationWithItsCodeAndA400WithTheProblem()
    {
        await using var api = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            if (context.Request.Query.ContainsKey("types"))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsJsonAsync(new { title = "Bad request", status = 400, detail = "Unknown event type 'nope'." });
                return;
            }

            context.Response.StatusCode = 401;
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "event: error\ndata: {\"code\":\"TOKEN_REVOKED\",\"message\":\"Token revoked\"}\n\n");
        }));

        var refused = await Assert.ThrowsExactlyAsync<KavachAuthorizationException>(() => TakeEventsAsync(Client(api).Stream(), 1));
        Assert.AreEqual(401, refused.Status);
        Assert.AreEqual(StreamErrorCodes.TokenRevoked, refused.Code);

        var invalid = await Assert.ThrowsExactlyAsync<KavachRequestException>(() => TakeEventsAsync(Client(api).Stream(new StreamRequest { Types = ["nope"] }), 1));
        Assert.AreEqual(400, invalid.Status);
        Assert.AreEqual("Unknown event type 'nope'.", invalid.Problem?.Detail);
    }

    [TestMethod]
    public async Task FollowsAnEpochChangeBackToResumeAfter()
    {
        await using var api = await FakeApi.StartAsync(app => app.MapGet(StreamPath, async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await FakeApi.WriteAsync(context, "event: connected\ndata: {\"epoch\":1}\n\n" + FakeApi.Frames(10, 11, 12)
                + "event: resync\ndata: {\"reason\":\"epoch-changed\",\"epoch\":2,\"resumeAfter\":10}\n\n"
                + FakeApi.Frames(11, 12, 13).Replace("id: 1", "id: 2:1", StringComparison.Ordinal));
            await FakeApi.HoldOpenAsync(context);
        }));

        var stream = Client(api).Stream();
        var events = await TakeEventsAsync(stream, 6);

        CollectionAssert.AreEqual(new[] { "10", "11", "12", "2:11", "2:12", "2:13" }, events.Select(e => e.Position.ToString()).ToArray());
        Assert.AreEqual("2:13", stream.Cursor);
    }

    private static KavachClient Client(FakeApi api, Func<CancellationToken, ValueTask<string?>>? tokens = null, TimeProvider? time = null) =>
        new(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, new KavachClientOptions
        {
            BaseAddress = api.Address,
            AccessTokenProvider = tokens,
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            TimeProvider = time ?? TimeProvider.System,
        });

    private static async Task<List<KavachEvent>> TakeEventsAsync(KavachStream stream, int count)
    {
        var events = new List<KavachEvent>();
        using var timeout = new CancellationTokenSource(FakeApi.Timeout);
        await foreach (var item in stream.WithCancellation(timeout.Token))
        {
            if (item is KavachEvent e)
            {
                events.Add(e);
                if (events.Count == count)
                {
                    break;
                }
            }
        }

        return events;
    }
}
