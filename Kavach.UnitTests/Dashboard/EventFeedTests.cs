using Kavach.Contracts;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Feed;

namespace Kavach.UnitTests.Dashboard;

[TestClass]
public sealed class EventFeedTests
{
    [TestMethod]
    public void EventsNotNewerThanTheLastSequenceAreDroppedAsDuplicates()
    {
        var feed = TestEvents.Feed();
        Assert.IsTrue(feed.TryAppend(TestEvents.Make(1)));
        Assert.IsTrue(feed.TryAppend(TestEvents.Make(2)));
        Assert.IsFalse(feed.TryAppend(TestEvents.Make(2)));
        Assert.IsFalse(feed.TryAppend(TestEvents.Make(1)));
        Assert.IsTrue(feed.TryAppend(TestEvents.Make(5)));

        var snapshot = feed.Snapshot();
        CollectionAssert.AreEqual(new long[] { 1, 2, 5 }, snapshot.Events.Select(e => e.Sequence).ToArray());
        Assert.AreEqual(2, snapshot.DuplicatesDropped);
        Assert.AreEqual(3, snapshot.Received);
        Assert.AreEqual(5, snapshot.LastSequence);
    }

    [TestMethod]
    public void AnEpochChangeDropsTheReplacedHistoryAndTakesItsSequencesAgain()
    {
        var feed = TestEvents.Feed();
        foreach (var sequence in new long[] { 1, 2, 3, 4 })
        {
            feed.TryAppend(At(1, sequence));
        }

        feed.Resync(new Resync(ResyncReasons.EpochChanged, null, Epoch: 2, ResumeAfter: 2));

        Assert.IsTrue(feed.TryAppend(At(2, 3)), "sequence 3 names another event in epoch 2");
        Assert.IsFalse(feed.TryAppend(At(1, 4)), "nothing more of the old history");
        CollectionAssert.AreEqual(new[] { "1:1", "1:2", "2:3" }, feed.Snapshot().Events.Select(e => $"{e.Position!.Value.Epoch}:{e.Sequence}").ToArray());
    }

    [TestMethod]
    public void AStreamResetToAnEarlierEpochIsFollowedNotDroppedAsOld()
    {
        var feed = TestEvents.Feed();
        foreach (var sequence in new long[] { 498, 499, 500 })
        {
            feed.TryAppend(At(3, sequence));
        }

        feed.Connected(1);
        feed.Resync(new Resync(ResyncReasons.CursorAheadOfStream, OldestSequence: 1, Epoch: 1));

        Assert.IsTrue(feed.TryAppend(At(1, 1)));
        Assert.IsTrue(feed.TryAppend(At(1, 2)));
        var snapshot = feed.Snapshot();
        CollectionAssert.AreEqual(new long[] { 1, 2 }, snapshot.Events.Select(e => e.Sequence).ToArray());
        Assert.AreEqual(2, snapshot.LastSequence);
    }

    [TestMethod]
    public void RetentionMovesTheFeedForwardAndKeepsWhatItShows()
    {
        var feed = TestEvents.Feed();
        feed.TryAppend(At(1, 10));
        feed.Resync(new Resync(ResyncReasons.CursorExpired, OldestSequence: 5000, Epoch: 1));

        Assert.IsTrue(feed.TryAppend(At(1, 5000)));
        CollectionAssert.AreEqual(new long[] { 10, 5000 }, feed.Snapshot().Events.Select(e => e.Sequence).ToArray());
    }

    private static KavachEvent At(long epoch, long sequence) => TestEvents.Make(sequence) with { Position = new StreamPosition(epoch, sequence) };

    [TestMethod]
    public void TheRingKeepsOnlyTheNewestEventsButCountsEverything()
    {
        var feed = TestEvents.Feed(capacity: 100);
        for (var i = 1; i <= 250; i++)
        {
            feed.TryAppend(TestEvents.Make(i, i % 2 == 0 ? EventTypes.CostRecorded : EventTypes.Audit));
        }

        var snapshot = feed.Snapshot();
        Assert.HasCount(100, snapshot.Events);
        Assert.AreEqual(151, snapshot.Events[0].Sequence);
        Assert.AreEqual(250, snapshot.Events[^1].Sequence);
        Assert.AreEqual(125, snapshot.CountsByType[EventTypes.CostRecorded]);
        Assert.AreEqual(125, snapshot.CountsByType[EventTypes.Audit]);
        Assert.AreEqual(250, snapshot.Received);
    }

    [TestMethod]
    public void ASnapshotIsReusedUntilTheFeedChanges()
    {
        var feed = TestEvents.Feed();
        feed.TryAppend(TestEvents.Make(1));
        var first = feed.Snapshot();
        Assert.AreSame(first, feed.Snapshot());
        feed.TryAppend(TestEvents.Make(2));
        Assert.AreNotSame(first, feed.Snapshot());
        Assert.HasCount(1, first.Events);
    }

    [TestMethod]
    public void EachNewEventGoesToTheRulesOnceSoAReplayedDuplicateRaisesNothingMore()
    {
        var raises = new PendingRaises(Microsoft.Extensions.Options.Options.Create(new AlertRulesOptions()), new FixedTime(TestEvents.Start));
        var feed = TestEvents.Feed(raises: raises);
        feed.TryAppend(TestEvents.Make(1, EventTypes.AnomalyDetected, data: new { kind = "token reuse", score = 0.97 }));
        feed.TryAppend(TestEvents.Make(1, EventTypes.AnomalyDetected, data: new { kind = "token reuse", score = 0.97 }));
        feed.TryAppend(TestEvents.Make(2, EventTypes.BudgetExceeded, data: new { budget = 5, spent = 5.5 }));
        feed.TryAppend(TestEvents.Make(3, EventTypes.CostRecorded, data: new { amount = 1.2 }));

        var (due, _) = raises.Due();
        CollectionAssert.AreEqual(new[] { "anomaly 1", "budget-exceeded 2" }, due.Select(p => $"{p.Candidate.Rule} {p.Candidate.Evidence.Single()}").ToArray());
        Assert.AreEqual(2, raises.Status.Pending);
    }

    [TestMethod]
    public async Task WatchersAreToldAboutChangesAndNeverBlockTheFeed()
    {
        var feed = TestEvents.Feed();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watcher = feed.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = watcher.MoveNextAsync().AsTask();

        for (var i = 1; i <= 1000; i++)
        {
            feed.TryAppend(TestEvents.Make(i));
        }

        Assert.IsTrue(await next.WaitAsync(cts.Token));
        var newest = feed.Snapshot().Version;
        if (watcher.Current != newest)
        {
            Assert.IsTrue(await watcher.MoveNextAsync().AsTask().WaitAsync(cts.Token));
        }

        Assert.AreEqual(newest, watcher.Current, "a slow watcher skips straight to the newest version");
    }

    [TestMethod]
    public void RatesCountEventsPerMinuteByTypeOverTheLastFifteenMinutes()
    {
        var time = new FixedTime(TestEvents.Start.AddMinutes(20));
        var feed = TestEvents.Feed(time: time);
        feed.TryAppend(TestEvents.Make(1, EventTypes.AuthSignIn, timestamp: TestEvents.Start.AddMinutes(1)));
        feed.TryAppend(TestEvents.Make(2, EventTypes.AuthSignIn, timestamp: TestEvents.Start.AddMinutes(19).AddSeconds(5)));
        feed.TryAppend(TestEvents.Make(3, EventTypes.AuthFailed, timestamp: TestEvents.Start.AddMinutes(19).AddSeconds(50)));
        feed.TryAppend(TestEvents.Make(4, EventTypes.AuthFailed, timestamp: TestEvents.Start.AddMinutes(20).AddSeconds(1)));

        var slots = feed.Snapshot().Rates.Slots;
        Assert.HasCount(15, slots);
        Assert.AreEqual(TestEvents.Start.AddMinutes(6), slots[0].Minute);
        Assert.AreEqual(2, slots[^2].Total);
        Assert.AreEqual(1, slots[^2].CountsByType[EventTypes.IndexOf(EventTypes.AuthSignIn)]);
        Assert.AreEqual(1, slots[^1].CountsByType[EventTypes.IndexOf(EventTypes.AuthFailed)]);
        Assert.AreEqual(3, slots.Sum(s => s.Total), "the event from minute 1 is outside the window");
    }
}
