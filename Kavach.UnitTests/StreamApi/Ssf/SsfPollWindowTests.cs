using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Ssf;

namespace Kavach.UnitTests.StreamApi.Ssf;

[TestClass]
public sealed class SsfPollWindowTests
{
    private static readonly IReadOnlyList<StoredEvent> Log = Enumerable.Range(11, 10).Select(i => SsfTestStreams.Event(i, KavachEventTypes.Audit)).ToArray();

    private static bool All(StoredEvent _) => true;

    [TestMethod]
    public void NothingAcknowledgedReturnsFromTheCursorAndKeepsIt()
    {
        var window = SsfPollWindow.Decide(10, Log, All, new HashSet<long>(), 3);
        Assert.AreEqual(10, window.Cursor);
        CollectionAssert.AreEqual(new long[] { 11, 12, 13 }, window.Unacknowledged.Select(e => e.Sequence).ToArray());
        Assert.IsTrue(window.More);
    }

    [TestMethod]
    public void TheCursorMovesOverTheAcknowledgedPrefixOnly()
    {
        var window = SsfPollWindow.Decide(10, Log, All, new HashSet<long> { 11, 12, 14, 15 }, 10);
        Assert.AreEqual(12, window.Cursor, "13 is not acknowledged: 14 and 15 wait beyond it");
        CollectionAssert.AreEqual(new long[] { 13, 16, 17, 18, 19, 20 }, window.Unacknowledged.Select(e => e.Sequence).ToArray(),
            "acknowledged SETs are not sent again; unacknowledged ones are");
        Assert.IsFalse(window.More);
    }

    [TestMethod]
    public void EventsTheStreamDoesNotCarryAreSkippedLikeAcknowledgedOnes()
    {
        var window = SsfPollWindow.Decide(10, Log, e => e.Sequence % 2 == 0, new HashSet<long> { 12 }, 2);
        Assert.AreEqual(13, window.Cursor, "11 and 13 are not for it, 12 is acknowledged");
        CollectionAssert.AreEqual(new long[] { 14, 16 }, window.Unacknowledged.Select(e => e.Sequence).ToArray());
        Assert.IsTrue(window.More);
    }

    [TestMethod]
    public void EverythingAcknowledgedMovesTheCursorToTheLastEvent()
    {
        var window = SsfPollWindow.Decide(10, Log, All, Log.Select(e => e.Sequence).ToHashSet(), 5);
        Assert.AreEqual(20, window.Cursor);
        Assert.IsEmpty(window.Unacknowledged);
        Assert.IsFalse(window.More);
    }

    [TestMethod]
    public void SequencesNoLongerKeptAreNotWaitedFor()
    {
        var window = SsfPollWindow.Decide(3, Log, All, new HashSet<long> { 11 }, 1);
        Assert.AreEqual(11, window.Cursor, "4..10 were pruned: nothing to wait for there");
        Assert.AreEqual(12, window.Unacknowledged.Single().Sequence);
    }

    [TestMethod]
    public void ZeroEventsAskedStillMovesTheCursor()
    {
        var window = SsfPollWindow.Decide(10, Log, All, new HashSet<long> { 11 }, 0);
        Assert.AreEqual(11, window.Cursor);
        Assert.IsEmpty(window.Unacknowledged);
        Assert.IsTrue(window.More);
    }
}
