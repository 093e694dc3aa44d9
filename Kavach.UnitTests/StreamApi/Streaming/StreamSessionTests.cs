using System.Globalization;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.StreamApi.Streaming;

/// <summary>
/// One stream's whole life without a socket or PostgreSQL: the hub, the history and the revocations are fakes the test
/// drives, time is fake, and what the client would read is the frames written to the response.
/// </summary>
[TestClass]
public sealed class StreamSessionTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [TestMethod]
    public async Task WithoutACursorAStreamStartsAtTheHeadAndGetsEachLaterEventOnce()
    {
        await using var run = new StreamRun();
        run.Live.Append(Events(1, 5));
        await using var stream = run.Open(StreamCursor.LiveOnly);
        await stream.WaitAsync(s => s.Named(StreamFrameNames.Connected).Count == 1);

        run.Live.Append(Events(6, 8));
        await stream.WaitAsync(s => s.Ids.Count == 3);
        CollectionAssert.AreEqual(new[] { "6", "7", "8" }, stream.Sink.Ids.ToArray());
    }

    [TestMethod]
    public async Task ACursorInTheBufferCatchesUpFromItThenGoesLiveWithoutGapOrDuplicate()
    {
        await using var run = new StreamRun();
        run.Live.Append(Events(1, 10));
        await using var stream = run.Open(After(4));
        await stream.WaitAsync(s => s.Ids.Count == 6);

        run.Live.Append(Events(11, 12));
        await stream.WaitAsync(s => s.Ids.Count == 8);
        CollectionAssert.AreEqual(Range(5, 12), stream.Sink.Ids.ToArray());
        Assert.AreEqual(0, run.History.PagesRead, "everything after the cursor was in the buffer");
    }

    [TestMethod]
    public async Task ACursorOlderThanTheBufferReadsPostgreSqlAPageAtATimeThenTheBuffer()
    {
        await using var run = new StreamRun(bufferStartsAfter: 20, pageSize: 4);
        run.History.Add(Events(1, 25)); // PostgreSQL holds everything committed; the buffer only what came after the hub started
        run.Live.Append(Events(21, 25));
        await using var stream = run.Open(After(3));
        await stream.WaitAsync(s => s.Ids.Count == 22);

        CollectionAssert.AreEqual(Range(4, 25), stream.Sink.Ids.ToArray());
        Assert.IsGreaterThanOrEqualTo(5, run.History.PagesRead, "pages of 4 from sequence 4 to 20");
    }

    [TestMethod]
    public async Task ACursorOlderThanWhatRetentionKeptIsToldSoAndGoesOnFromTheOldestKept()
    {
        await using var run = new StreamRun(bufferStartsAfter: 20);
        run.History.Add(Events(1, 20));
        run.History.FirstKept = 8;
        await using var stream = run.Open(After(2));
        await stream.WaitAsync(s => s.Ids.Count == 13);

        var resync = stream.Sink.Named(StreamFrameNames.Resync).Single();
        StringAssert.Contains(resync, $"\"reason\":\"{ResyncReasons.CursorExpired}\"");
        StringAssert.Contains(resync, "\"oldestSequence\":8");
        CollectionAssert.AreEqual(Range(8, 20), stream.Sink.Ids.ToArray());
    }

    [TestMethod]
    public async Task ACursorAheadOfTheStreamStartsAtTheOldestKeptAndSaysSo()
    {
        await using var run = new StreamRun();
        run.History.Add(Events(1, 3));
        run.Live.Append(Events(1, 3));
        await using var stream = run.Open(After(50));
        await stream.WaitAsync(s => s.Ids.Count == 3);

        StringAssert.Contains(stream.Sink.Named(StreamFrameNames.Resync).Single(), $"\"reason\":\"{ResyncReasons.CursorAheadOfStream}\"");
        CollectionAssert.AreEqual(Range(1, 3), stream.Sink.Ids.ToArray());
    }

    [TestMethod]
    public async Task ALiveStreamFollowsANewEpochFromTheLastSharedSequence()
    {
        await using var run = new StreamRun();
        run.Live.Append(Events(1, 6));
        await using var stream = run.Open(After(0));
        await stream.WaitAsync(s => s.Ids.Count == 6);

        // The database was restored to sequence 4: epoch 2 shares 1..4 and goes on with other events.
        run.History.Add(Events(1, 4));
        run.Live.BeginEpoch(2, sharedEnd: 4);
        run.Live.Append(Events(5, 7));
        await stream.WaitAsync(s => s.Ids.Count == 9);

        var resync = stream.Sink.Named(StreamFrameNames.Resync).Single();
        StringAssert.Contains(resync, $"\"reason\":\"{ResyncReasons.EpochChanged}\"");
        StringAssert.Contains(resync, "\"epoch\":2");
        StringAssert.Contains(resync, "\"resumeAfter\":4");
        CollectionAssert.AreEqual(new[] { "1", "2", "3", "4", "5", "6", "2:5", "2:6", "2:7" }, stream.Sink.Ids.ToArray());
    }

    [TestMethod]
    public async Task ARevocationBetweenTwoPagesOfHistoryEndsTheStreamBeforeTheNextPage()
    {
        await using var run = new StreamRun(bufferStartsAfter: 30, pageSize: 5);
        run.History.Add(Events(1, 30));
        var reader = Reader("agent-reader");
        run.History.AfterPage = page =>
        {
            if (page == 1)
            {
                run.Revocations.RevokeSubject(reader.Id, Start);
            }
        };

        await using var stream = run.Open(After(0), reader);
        var ended = await stream.EndedAsync();

        Assert.AreEqual(StreamEnd.TokenRevoked, ended);
        StringAssert.Contains(stream.Sink.Named(StreamFrameNames.Error).Single(), StreamErrorCodes.TokenRevoked);
        Assert.IsLessThanOrEqualTo(5, stream.Sink.Ids.Count, "nothing after the revocation's page");
    }

    [TestMethod]
    public async Task AnExpiredTokenGetsNoMoreEventsAndIsToldWhy()
    {
        await using var run = new StreamRun();
        var reader = Reader("user-reader", expiresIn: TimeSpan.FromMinutes(5));
        await using var stream = run.Open(StreamCursor.LiveOnly, reader);
        run.Live.Append(Events(1, 1));
        await stream.WaitAsync(s => s.Ids.Count == 1);

        run.Time.Advance(TimeSpan.FromMinutes(5));
        run.Live.Append(Events(2, 2));

        Assert.AreEqual(StreamEnd.TokenExpired, await stream.EndedAsync());
        StringAssert.Contains(stream.Sink.Named(StreamFrameNames.Error).Single(), StreamErrorCodes.TokenExpired);
        CollectionAssert.AreEqual(new[] { "1" }, stream.Sink.Ids.ToArray());
    }

    [TestMethod]
    public async Task WhileRevocationsCannotBeCheckedNothingIsSentThenEverythingIsOnceTheyCan()
    {
        await using var run = new StreamRun();
        await using var stream = run.Open(StreamCursor.LiveOnly, Reader("agent-paused"));
        await stream.WaitAsync(s => s.Named(StreamFrameNames.Connected).Count == 1);

        run.Revocations.Current = false;
        var checks = run.Revocations.Checks;
        run.Live.Append(Events(1, 3));
        await stream.WaitAsync(_ => run.Revocations.Checks > checks); // woken, it asked, and was told "unknown"
        Assert.IsEmpty(stream.Sink.Ids);

        run.Revocations.Current = true;
        await stream.WaitAsync(s => s.Ids.Count == 3);
        CollectionAssert.AreEqual(Range(1, 3), stream.Sink.Ids.ToArray());
    }

    [TestMethod]
    public async Task AHistoryReadThatFailsEndsTheStreamSayingSo()
    {
        await using var run = new StreamRun(bufferStartsAfter: 10);
        run.History.Add(Events(1, 10));
        run.History.Failing = true;
        await using var stream = run.Open(After(2));

        Assert.AreEqual(StreamEnd.StoreUnavailable, await stream.EndedAsync());
        StringAssert.Contains(stream.Sink.Named(StreamFrameNames.Error).Single(), StreamErrorCodes.StoreUnavailable);
    }

    [TestMethod]
    public async Task ACheckpointIsAnnouncedOnceTheStreamHasSentEverythingItCovers()
    {
        await using var run = new StreamRun();
        await using var stream = run.Open(StreamCursor.LiveOnly, withCheckpoints: true);
        await stream.WaitAsync(s => s.Named(StreamFrameNames.Connected).Count == 1);

        run.OpenStreams.AnnounceCheckpoint(new CheckpointAnnouncement(1, 3, SseFrames.Named("checkpoint", "{\"sequence\":3}")));
        run.Live.Append(Events(1, 2));
        await stream.WaitAsync(s => s.Ids.Count == 2);
        Assert.IsEmpty(stream.Sink.Named("checkpoint"), "announced before the stream sent #3");

        run.Live.Append(Events(3, 3));
        await stream.WaitAsync(s => s.Named("checkpoint").Count == 1);
        var frames = stream.Sink.Frames;
        Assert.IsGreaterThan(frames.ToList().FindIndex(f => f.Contains("\nid: 3", StringComparison.Ordinal)),
            frames.ToList().FindIndex(f => f.StartsWith("event: checkpoint", StringComparison.Ordinal)));
    }

    [TestMethod]
    public async Task HeartbeatsComeFromTheSweepOnFakeTime()
    {
        await using var run = new StreamRun();
        await using var stream = run.Open(StreamCursor.LiveOnly);
        await stream.WaitAsync(s => s.Named(StreamFrameNames.Connected).Count == 1);
        await run.StartSweepAsync();

        // The sweep ticks every second of fake time; the heartbeat is due after 10.
        await stream.WaitAsync(s =>
        {
            run.Time.Advance(TimeSpan.FromMilliseconds(500));
            return s.Frames.Any(f => f.StartsWith(": heartbeat", StringComparison.Ordinal));
        });
        Assert.IsGreaterThanOrEqualTo(TimeSpan.FromSeconds(10), run.Time.GetUtcNow() - Start, "no heartbeat before the interval");
    }

    [TestMethod]
    public async Task ClosingEndsEveryStream()
    {
        await using var run = new StreamRun();
        await using var stream = run.Open(StreamCursor.LiveOnly);
        await stream.WaitAsync(s => s.Named(StreamFrameNames.Connected).Count == 1);

        run.OpenStreams.CloseAll();
        Assert.AreEqual(StreamEnd.Closing, await stream.EndedAsync());
        Assert.AreEqual(0, run.Live.Listening);
        Assert.AreEqual(0, run.OpenStreams.Count);
    }

    private static StreamCursor After(long sequence, long epoch = 1) => new(new StreamPosition(epoch, sequence), null);

    private static Subscriber Reader(string id, TimeSpan? expiresIn = null) =>
        new(id, new HashSet<string> { "events:read" }, ReadGrant.Everything, TokenId: Guid.NewGuid().ToString(), IssuedAt: Start.AddMinutes(-1),
            ExpiresAt: Start + (expiresIn ?? TimeSpan.FromHours(1)));

    private static string[] Range(long from, long to) =>
        [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    internal static StoredEvent[] Events(long from, long to) =>
        [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => Event(i))];

    private static StoredEvent Event(long sequence)
    {
        var id = $"e{sequence}";
        var body = $"{{\"id\":\"{id}\",\"type\":\"audit\",\"timestamp\":\"2026-12-07T12:00:00+00:00\",\"data\":{{}}}}";
        return new StoredEvent(sequence, id, "audit", null, null, Start, Start, body);
    }

    /// <summary>The stream's surroundings, each a fake or the real small part (open streams, the catch-up gate, options).</summary>
    private sealed class StreamRun : IAsyncDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly CancellationTokenSource _sweep = new();
        private readonly StreamSession _session;

        public StreamRun(long bufferStartsAfter = 0, int pageSize = 500)
        {
            Time = new FakeTimeProvider(Start);
            Live = new FakeLiveEvents(1, bufferStartsAfter);
            var options = Microsoft.Extensions.Options.Options.Create(new StreamOptions { ReplayPageSize = pageSize, HeartbeatInterval = TimeSpan.FromSeconds(10) });
            var metrics = new StreamMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
            var standing = new TokenStanding(Revocations, Time);
            OpenStreams = new OpenStreams(options, Revocations, standing, Time, NullLogger<OpenStreams>.Instance);
            _session = new StreamSession(Live, History, new CursorRules(Live, History), OpenStreams, new CatchUpGate(options, metrics, Time),
                standing, metrics, options, Time, NullLogger<StreamSession>.Instance);
        }

        public FakeTimeProvider Time { get; }

        public FakeLiveEvents Live { get; }

        public FakeStreamHistory History { get; } = new();

        public FakeRevocationList Revocations { get; } = new();

        public OpenStreams OpenStreams { get; }

        public OpenedStream Open(StreamCursor cursor, Subscriber? subscriber = null, bool withCheckpoints = false)
        {
            var sink = new FrameSink();
            var aborted = new CancellationTokenSource();
            var context = new DefaultHttpContext { RequestAborted = aborted.Token, TraceIdentifier = Guid.NewGuid().ToString("N") };
            context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(sink));
            var run = _session.RunAsync(context, subscriber ?? Subscriber.Anonymous, ReadScope.Module(EventTypeFilter.ForModule([])), cursor, withCheckpoints);
            return new OpenedStream(sink, aborted, run);
        }

        public Task StartSweepAsync() => OpenStreams.StartAsync(_sweep.Token);

        public async ValueTask DisposeAsync()
        {
            await _sweep.CancelAsync();
            await OpenStreams.StopAsync(CancellationToken.None);
            OpenStreams.Dispose();
            await _services.DisposeAsync();
        }
    }

    private sealed class OpenedStream(FrameSink sink, CancellationTokenSource aborted, Task<StreamEnd> run) : IAsyncDisposable
    {
        public FrameSink Sink => sink;

        /// <summary>Waits, bounded, until the frames satisfy <paramref name="condition"/>.</summary>
        public async Task WaitAsync(Func<FrameSink, bool> condition)
        {
            using var deadline = new CancellationTokenSource(Bounded);
            while (!condition(sink))
            {
                if (run.IsCompleted)
                {
                    await run;
                    Assert.IsTrue(condition(sink), "the stream ended first; it wrote:\n" + string.Join("\n--\n", sink.Frames));
                    return;
                }

                await Task.Delay(5, deadline.Token);
            }
        }

        /// <summary>Waits, bounded, for the stream to end on its own, and says why it ended.</summary>
        public Task<StreamEnd> EndedAsync() => run.WaitAsync(Bounded);

        public async ValueTask DisposeAsync()
        {
            await aborted.CancelAsync();
            await run.WaitAsync(Bounded);
            aborted.Dispose();
        }
    }
}
