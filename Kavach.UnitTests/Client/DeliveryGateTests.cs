using Kavach.Client;
using Kavach.Contracts;

namespace Kavach.UnitTests.Client;

[TestClass]
public sealed class DeliveryGateTests
{
    private static StreamPosition At(long epoch, long sequence) => new(epoch, sequence);

    [TestMethod]
    public void AdmitsEachPositionOnceAndInOrder()
    {
        var gate = new DeliveryGate();
        var admitted = new long[] { 1, 2, 3, 2, 3, 4, 4, 5, 1 }.Where(s => gate.Admit(At(1, s))).ToList();

        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5 }, admitted);
        Assert.AreEqual("5", gate.Position.ToString());
    }

    [TestMethod]
    public void StartsAfterTheCallersCursor()
    {
        var gate = new DeliveryGate(At(2, 100));

        Assert.IsFalse(gate.Admit(At(2, 100)));
        Assert.IsFalse(gate.Admit(At(1, 500)), "an older epoch is never newer, whatever its sequence");
        Assert.IsTrue(gate.Admit(At(2, 101)));
        Assert.AreEqual("2:101", gate.Position.ToString());
    }

    [TestMethod]
    public void AnEpochChangeGoesBackToWhereTheHistoriesPartAndTakesTheNewEventsThere()
    {
        var gate = new DeliveryGate();
        foreach (var s in new long[] { 10, 11, 12 })
        {
            gate.Admit(At(1, s));
        }

        gate.Apply(new Resync(ResyncReasons.EpochChanged, null, Epoch: 2, ResumeAfter: 10));

        Assert.AreEqual("2:10", gate.Position.ToString(), "the cursor a reconnect now sends");
        Assert.IsTrue(gate.Admit(At(2, 11)), "sequence 11 names another event in epoch 2");
        Assert.IsFalse(gate.Admit(At(1, 13)), "nothing more of the old history");
    }

    [TestMethod]
    public void CursorExpiredMovesOnAndCursorAheadGoesBackToWhereTheStreamReplays()
    {
        var expired = new DeliveryGate(At(1, 100));
        expired.Apply(new Resync(ResyncReasons.CursorExpired, OldestSequence: 5000));
        Assert.IsTrue(expired.Admit(At(1, 5000)));

        var ahead = new DeliveryGate(At(1, 9000));
        ahead.Apply(new Resync(ResyncReasons.CursorAheadOfStream, OldestSequence: 1));
        Assert.IsTrue(ahead.Admit(At(1, 1)), "a database reset no replica saw starts over");
    }

    [TestMethod]
    public void AResyncIntoAnEarlierEpochIsFollowed()
    {
        // A client that followed the stream to epoch 3 meets a database that was reset (or restored cold): epoch 1 again.
        var gate = new DeliveryGate(At(3, 500));
        gate.Connected(1);
        gate.Apply(new Resync(ResyncReasons.CursorAheadOfStream, OldestSequence: 1, Epoch: 1));

        Assert.AreEqual(At(1, 0), gate.Position, "the cursor a reconnect now sends");
        Assert.IsTrue(gate.Admit(At(1, 1)), "the reset stream's first event");
        Assert.IsTrue(gate.Admit(At(1, 2)));
        Assert.IsFalse(gate.Admit(At(1, 2)));
    }

    [TestMethod]
    public void AResyncThatNamesNoEpochIsInTheConnectionsEpoch()
    {
        // A server from before every resync named its epoch: the connected frame just before it did.
        var gate = new DeliveryGate(At(3, 500));
        gate.Connected(1);
        gate.Apply(new Resync(ResyncReasons.CursorAheadOfStream, OldestSequence: 1));

        Assert.IsTrue(gate.Admit(At(1, 1)));
    }

    [TestMethod]
    public void AnEventsPositionIsItsIdOrItsSequenceInTheAnnouncedEpoch()
    {
        var gate = new DeliveryGate();
        Assert.AreEqual(At(1, 7), gate.PositionOf("7", 7));
        Assert.AreEqual(At(3, 7), gate.PositionOf("3:7", 7));

        gate.Connected(3);
        Assert.AreEqual(At(3, 8), gate.PositionOf(null, 8));
        Assert.AreEqual(At(3, 9), gate.PositionOf("not-a-position", 9));
    }
}
