using System.Collections.Concurrent;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.UnitTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using StreamPosition = Kavach.Contracts.StreamPosition;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// The hub over an in-memory database (<see cref="FakeCommittedStream"/>) on a fake clock, so that only the test moves
/// time and the periodic check never runs unless asked: the order in which committed events reach the live buffer
/// whatever order they arrive in, what it reads from the database and when, rows missing from the database, epochs
/// begun and followed, and the health check's limit.
/// </summary>
[TestClass]
public sealed class EventHubTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [TestMethod]
    public async Task LocalCommitsArrivingOutOfOrderAreDeliveredInSequenceOrder()
    {
        var store = new FakeCommittedStream();
        await using var hub = await Testbed.StartAsync(store);
        var release = store.HoldHeadReads();
        hub.Hub.RequestCatchUp();
        await store.HeadReadHeld.Task.WaitAsync(Bound);

        // Queued while the hub is busy: one batch. The database is not asked for them (it has nothing to say here).
        var events = Enumerable.Range(1, 5).Select(s => FakeCommittedStream.Event(s, $"local-{s}")).ToList();
        hub.Hub.Committed(1, events[3..]);
        hub.Hub.Committed(1, events[..3]);
        release();

        await hub.UntilAsync(() => hub.Hub.Position == new StreamPosition(1, 5), "all five delivered");
        CollectionAssert.AreEqual(events.Select(e => $"1:{e.Sequence}:{e.Id}").ToList(), hub.Observer.Delivered());
        Assert.AreEqual(0, store.Reads.Sum(r => r.Count), "local commits are not read back");
    }

    [TestMethod]
    public async Task AGapBeforeALocalCommitIsReadFromTheDatabaseFirst()
    {
        var store = new FakeCommittedStream();
        await using var hub = await Testbed.StartAsync(store);
        var others = store.Commit(3);
        var local = store.Commit("local") with { }; // this replica's own instance, not what a read returns

        hub.Hub.Committed(1, [local]);

        await hub.UntilAsync(() => hub.Hub.Position.Sequence == 4, "the local commit delivered");
        CollectionAssert.AreEqual(others.Append(local).Select(e => $"1:{e.Sequence}:{e.Id}").ToList(), hub.Observer.Delivered());
        Assert.IsTrue(store.Reads.Any(r => r.Query is { After: 0, UpTo: 3 }), "the gap is read up to the local commit, not beyond");
        Assert.AreSame(local, hub.Observer.Events.Last(), "the local commit's own event, not a read of it");
    }

    [TestMethod]
    public async Task AHintReadsWhatAnotherReplicaCommittedAndALocalRepeatIsNotDeliveredTwice()
    {
        var store = new FakeCommittedStream();
        await using var hub = await Testbed.StartAsync(store);
        var committed = store.Commit(3);

        hub.Hub.Hint(1, 3);
        await hub.UntilAsync(() => hub.Hub.Position.Sequence == 3, "the hinted events delivered");
        hub.Hub.Committed(1, committed[1..]);
        var next = store.Commit("next");
        hub.Hub.Committed(1, [next]);
        await hub.UntilAsync(() => hub.Hub.Position.Sequence == 4, "the next delivered");

        CollectionAssert.AreEqual(committed.Append(next).Select(e => $"1:{e.Sequence}:{e.Id}").ToList(), hub.Observer.Delivered());
    }

    [TestMethod]
    public async Task RowsMissingFromTheDatabaseRestartDeliveryAfterTheGap()
    {
        var store = new FakeCommittedStream();
        await using var hub = await Testbed.StartAsync(store);
        store.Commit(6);
        store.Remove(3, 4);

        hub.Hub.Hint(1, 6);
        await hub.UntilAsync(() => hub.Hub.Position.Sequence == 6, "delivered past the gap");

        CollectionAssert.AreEqual(new[] { "restart 1 after 0", "1:1:e1-1", "1:2:e1-2", "restart 1 after 4", "1:5:e1-5", "1:6:e1-6" },
            hub.Observer.Log.ToArray());
        Assert.AreEqual(4, hub.Hub.Buffer.StartsAfter);
        Assert.IsNull(hub.Hub.Buffer.TryGet(2), "the new buffer begins after the gap");
    }

    [TestMethod]
    public async Task ASequenceThatWentBackwardsBeginsANewEpochAfterTheHistoryBothShare()
    {
        var store = new FakeCommittedStream();
        await using var hub = await Testbed.StartAsync(store);
        store.Commit(5);
        hub.Hub.Hint(1, 5);
        await hub.UntilAsync(() => hub.Hub.Position.Sequence == 5, "five delivered");

        // An older backup: sequence 3 holds another event, 4 and 5 are gone.
        store.RestoreTo(3);
        var other = store.Replace(3, "restored-3");
        await hub.Hub.CheckHeadAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.AreEqual(new StreamPosition(2, 3), hub.Hub.Position);
        Assert.AreEqual((1L, 2L, 2L, "sequence-regression"), store.BegunEpochs.Single());
        CollectionAssert.AreEqual(new long[] { 2 }, hub.EpochsBegun.ToArray());
        Assert.AreEqual(other.Id, hub.Hub.Buffer.TryGet(3)?.Id, "the new epoch delivers what the database holds");
        CollectionAssert.AreEqual(new[] { "restart 2 after 2", "2:3:restored-3" }, hub.Observer.Log.TakeLast(2).ToArray());

        Assert.AreEqual(2, hub.Hub.SharedHistoryEnd(1, out var unknown));
        Assert.IsFalse(unknown);
        Assert.IsNull(hub.Hub.SharedHistoryEnd(2, out unknown), "the current epoch shares everything");
        Assert.IsFalse(unknown);
        Assert.IsNull(hub.Hub.SharedHistoryEnd(3, out unknown));
        Assert.IsTrue(unknown, "an epoch ahead of the stream is unknown to it");
    }

    [TestMethod]
    public async Task OtherEventsAtTheSameLengthBeginANewEpoch()
    {
        var store = new FakeCommittedStream();
        await using var hub = await Testbed.StartAsync(store);
        store.Commit(4);
        hub.Hub.Hint(1, 4);
        await hub.UntilAsync(() => hub.Hub.Position.Sequence == 4, "four delivered");
        store.Replace(4, "replaced-4");

        await hub.Hub.CheckHeadAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.AreEqual("history-replaced", store.BegunEpochs.Single().Reason);
        Assert.AreEqual(new StreamPosition(2, 4), hub.Hub.Position);
        Assert.AreEqual(3, hub.Hub.SharedHistoryEnd(1, out _));
        Assert.AreEqual("replaced-4", hub.Hub.Buffer.TryGet(4)?.Id);
    }

    [TestMethod]
    public async Task AnEpochAnotherReplicaBeganIsFollowedWithoutBeginningOne()
    {
        var store = new FakeCommittedStream();
        store.Commit(4);
        await using var hub = await Testbed.StartAsync(store);
        store.RestoreTo(2);
        store.BeginEpochElsewhere(startsAfter: 2);
        var next = store.Commit("epoch-2-first");

        hub.Hub.Hint(2, 3); // a hint of another epoch: the check finds out which
        await hub.UntilAsync(() => hub.Hub.Position == new StreamPosition(2, 3), "the new epoch followed");

        Assert.IsTrue(store.BegunEpochs.IsEmpty, "following is not beginning");
        CollectionAssert.AreEqual(new long[] { 2 }, hub.EpochsBegun.ToArray());
        Assert.AreEqual(next.Id, hub.Hub.Buffer.TryGet(3)?.Id);
        Assert.AreEqual(2, hub.Hub.SharedHistoryEnd(1, out _));
    }

    [TestMethod]
    public async Task TheHubIsUnhealthyOnceNoCheckOfTheDatabaseSucceededForTheLimit()
    {
        var store = new FakeCommittedStream();
        var clock = new FakeTimeProvider();
        await using var hub = await Testbed.StartAsync(store, clock);
        var health = new HubHealthCheck(hub.Hub, Microsoft.Extensions.Options.Options.Create(hub.Options), clock);
        Assert.AreEqual(TimeSpan.FromSeconds(10), health.Limit, "five check intervals of 1 s, but never under 10 s");
        Assert.AreEqual(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);

        store.Failure = new NpgsqlException("PostgreSQL is down");
        clock.Advance(TimeSpan.FromSeconds(9));
        await hub.Hub.CheckHeadAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.AreEqual(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status, "within the limit");
        clock.Advance(TimeSpan.FromSeconds(2));
        var down = await health.CheckHealthAsync(new HealthCheckContext());
        Assert.AreEqual(HealthStatus.Unhealthy, down.Status);
        StringAssert.Contains(down.Description, "for 11 s");

        store.Failure = null;
        await hub.Hub.CheckHeadAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.AreEqual(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status, "a successful check heals it");
    }

    [TestMethod]
    public async Task UntilThePositionIsKnownTheHubIsUnhealthyAndRetriesOnItsClock()
    {
        var store = new FakeCommittedStream { Failure = new NpgsqlException("PostgreSQL is down") };
        var clock = new FakeTimeProvider();
        var timers = new TimerWatch(clock);
        await using var hub = await Testbed.StartAsync(store, timers, waitReady: false);
        var health = new HubHealthCheck(hub.Hub, Microsoft.Extensions.Options.Options.Create(hub.Options), clock);

        Assert.AreEqual(TimeSpan.FromMilliseconds(250), await timers.Created.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        Assert.AreEqual(HealthStatus.Unhealthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.AreEqual(TimeSpan.FromMilliseconds(500), await timers.Created.Reader.ReadAsync().AsTask().WaitAsync(Bound), "the delay doubles");
        Assert.IsFalse(hub.Hub.Ready.IsCompleted);

        store.Commit(2);
        store.Failure = null;
        clock.Advance(TimeSpan.FromMilliseconds(500));
        await hub.Hub.Ready.WaitAsync(Bound);
        Assert.AreEqual(new StreamPosition(1, 2), hub.Hub.Position);
        Assert.AreEqual(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    /// <summary>A started hub over the store, with what it tells its observers and when it begins epochs.</summary>
    private sealed class Testbed : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        private Testbed(ServiceProvider services, EventHub hub, StreamOptions options, RecordingObserver observer)
        {
            _services = services;
            Hub = hub;
            Options = options;
            Observer = observer;
            hub.EpochBegan += EpochsBegun.Enqueue;
        }

        public EventHub Hub { get; }

        public StreamOptions Options { get; }

        public RecordingObserver Observer { get; }

        public ConcurrentQueue<long> EpochsBegun { get; } = new();

        public static async Task<Testbed> StartAsync(FakeCommittedStream store, TimeProvider? time = null, bool waitReady = true)
        {
            var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var options = new StreamOptions { CatchUpInterval = TimeSpan.FromSeconds(1), LiveBufferEvents = 1024 };
            var observer = new RecordingObserver();
            var hub = new EventHub(store, new SchemaReady(), new StreamMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
                [observer], Microsoft.Extensions.Options.Options.Create(options), time ?? new FakeTimeProvider(), NullLogger<EventHub>.Instance);
            var testbed = new Testbed(services, hub, options, observer);
            await hub.StartAsync(CancellationToken.None);
            if (waitReady)
            {
                await hub.Ready.WaitAsync(Bound);
            }

            return testbed;
        }

        /// <summary>Waits, woken by the hub as streams are, until <paramref name="done"/> holds (bounded).</summary>
        public async Task UntilAsync(Func<bool> done, string what)
        {
            var signal = new WakeSignal();
            Hub.Listen(signal);
            try
            {
                var deadline = DateTime.UtcNow + Bound;
                while (!done())
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        Assert.Fail($"Not reached within {Bound}: {what} (at {Hub.Position}; delivered {string.Join(", ", Observer.Log)})");
                    }

                    try
                    {
                        await signal.WaitAsync().AsTask().WaitAsync(left);
                    }
                    catch (TimeoutException)
                    {
                    }
                }
            }
            finally
            {
                Hub.Unlisten(signal);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Hub.StopAsync(CancellationToken.None);
            Hub.Dispose();
            await _services.DisposeAsync();
        }
    }

    private sealed class SchemaReady : ISchemaReady
    {
        public Task Ready => Task.CompletedTask;
    }

    /// <summary>What the hub told its delivery observers, in order.</summary>
    internal sealed class RecordingObserver : IDeliveryObserver
    {
        public ConcurrentQueue<string> Log { get; } = new();

        public ConcurrentQueue<StoredEvent> Events { get; } = new();

        public List<string> Delivered() => [.. Log.Where(l => !l.StartsWith("restart", StringComparison.Ordinal))];

        public void Restarted(long epoch, long after) => Log.Enqueue($"restart {epoch} after {after}");

        public void Delivered(long epoch, StoredEvent committed)
        {
            Events.Enqueue(committed);
            Log.Enqueue($"{epoch}:{committed.Sequence}:{committed.Id}");
        }
    }
}
