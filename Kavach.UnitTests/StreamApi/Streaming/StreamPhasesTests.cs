using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Streaming;

namespace Kavach.UnitTests.StreamApi.Streaming;

[TestClass]
public sealed class StreamPhasesTests
{
    [TestMethod]
    [DataRow(StreamPhase.Placing, StreamTrigger.PlacedAtHead, StreamPhase.Live)]
    [DataRow(StreamPhase.Placing, StreamTrigger.PlacedBehind, StreamPhase.CatchingUp)]
    [DataRow(StreamPhase.CatchingUp, StreamTrigger.CaughtUp, StreamPhase.Live)]
    [DataRow(StreamPhase.Live, StreamTrigger.HistoryPruned, StreamPhase.CatchingUp)]
    [DataRow(StreamPhase.Live, StreamTrigger.EpochChanged, StreamPhase.CatchingUp)]
    [DataRow(StreamPhase.CatchingUp, StreamTrigger.EpochChanged, StreamPhase.CatchingUp)]
    [DataRow(StreamPhase.Placing, StreamTrigger.Ending, StreamPhase.Ended)]
    [DataRow(StreamPhase.CatchingUp, StreamTrigger.Ending, StreamPhase.Ended)]
    [DataRow(StreamPhase.Live, StreamTrigger.Ending, StreamPhase.Ended)]
    [DataRow(StreamPhase.Ended, StreamTrigger.CaughtUp, StreamPhase.Ended)]
    public void EachTriggerMovesAStreamAsTheTableSays(StreamPhase from, StreamTrigger trigger, StreamPhase to) =>
        Assert.AreEqual(to, StreamPhases.Next(from, trigger));

    [TestMethod]
    [DataRow(StreamPhase.Live, StreamTrigger.CaughtUp)]
    [DataRow(StreamPhase.Live, StreamTrigger.PlacedBehind)]
    [DataRow(StreamPhase.CatchingUp, StreamTrigger.HistoryPruned)]
    [DataRow(StreamPhase.Placing, StreamTrigger.EpochChanged)]
    [DataRow(StreamPhase.CatchingUp, StreamTrigger.PlacedAtHead)]
    public void ATransitionOutsideTheTableIsABug(StreamPhase from, StreamTrigger trigger) =>
        Assert.ThrowsExactly<InvalidOperationException>(() => StreamPhases.Next(from, trigger));

    [TestMethod]
    public void AnAgentRevokedReachingTheHubReadsRevocationsAtOnceAndNothingElseDoes()
    {
        var revocations = new CountingRevocations();
        var follower = new RevocationEventFollower(revocations);
        var at = DateTimeOffset.UnixEpoch;

        follower.Delivered(1, new StoredEvent(1, "a", "audit", "agent-1", null, at, at, "{}"));
        follower.Delivered(1, new StoredEvent(2, "b", "agent.revoked", null, null, at, at, "{}"));
        Assert.AreEqual(0, revocations.Refreshes);

        follower.Delivered(1, new StoredEvent(3, "c", "agent.revoked", "agent-1", null, at, at, "{}"));
        Assert.AreEqual(1, revocations.Refreshes);
    }

    private sealed class CountingRevocations : IRevocationList
    {
        public int Refreshes { get; private set; }

        public event Action<Kavach.StreamApi.Persistence.Revocation>? Added { add { } remove { } }

        public event Action? Known { add { } remove { } }

        public RevocationStatus Check(Subscriber subscriber) => RevocationStatus.Valid;

        public Task<bool> RefreshAsync(TimeSpan wait, CancellationToken cancellationToken)
        {
            Refreshes++;
            return Task.FromResult(true);
        }
    }
}
