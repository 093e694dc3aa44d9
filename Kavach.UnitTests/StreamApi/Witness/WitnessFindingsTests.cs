using Kavach.StreamApi.Integrity;
using Kavach.StreamApi.Integrity.Witness;
using Kavach.StreamApi.Persistence;
using static Kavach.UnitTests.StreamApi.Witness.WitnessCheckpoints;

namespace Kavach.UnitTests.StreamApi.Witness;

[TestClass]
public sealed class WitnessFindingsTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset Now = Noon.AddHours(1);

    private static WitnessReport Compare(SignedCheckpoint[] stored, SignedCheckpoint[] witnessed, EpochStart[]? epochs = null, DateTimeOffset? now = null) =>
        WitnessFindings.Compare(stored, witnessed, epochs ?? [], witnessed.Length == 0 ? null : witnessed.Min(c => c.SignedAt), now ?? Now, Grace);

    [TestMethod]
    public void TheSameCheckpointsOnBothSidesAgree()
    {
        var report = Compare([At(1, 10), At(1, 20)], [At(1, 10), At(1, 20)]);

        Assert.IsTrue(report.Consistent);
        Assert.AreEqual(2, report.Checked);
        Assert.AreEqual(0, report.MissingFromWitness.Count + report.MissingFromDatabase.Count + report.Contradictions.Count + report.Abandoned.Count);
    }

    [TestMethod]
    public void ADifferentCheckpointAtAPositionIsAContradiction()
    {
        var report = Compare([At(1, 10), At(1, 20, hashByte: 5)], [At(1, 10), At(1, 20)]);

        Assert.IsFalse(report.Consistent);
        Assert.AreEqual((1L, 20L), (report.Contradictions.Single().Epoch, report.Contradictions.Single().Sequence));
        StringAssert.Contains(report.Contradictions[0].Detail, "hash 0505");
    }

    [TestMethod]
    public void AWitnessRecordWrittenOverIsAContradictionEvenWhereOneVersionMatches()
    {
        var report = Compare([At(1, 10)], [At(1, 10), At(1, 10, hashByte: 5)]);

        StringAssert.Contains(report.Contradictions.Single().Detail, "2 different records");
    }

    [TestMethod]
    public void AWitnessedCheckpointTheDatabaseLacksWasDeletedThere()
    {
        var report = Compare([At(1, 10)], [At(1, 10), At(1, 20), At(1, 30)]);

        Assert.IsFalse(report.Consistent);
        CollectionAssert.AreEqual(new long[] { 20, 30 }, report.MissingFromDatabase.Select(f => f.Sequence).ToArray());
    }

    [TestMethod]
    public void ACheckpointOfAHistoryARestoreLeftBehindIsListedNotFailed()
    {
        // Epoch 2 began after #15: the witnessed 1:20 belonged to the history the restore replaced; 1:10 is still shared.
        var report = Compare([At(1, 10), At(2, 18)], [At(1, 10), At(1, 20), At(2, 18)], [new EpochStart(2, 15, 15)]);

        Assert.IsTrue(report.Consistent);
        Assert.AreEqual(20, report.Abandoned.Single().Sequence);
        StringAssert.Contains(report.Abandoned[0].Detail, "epoch 2 began after #15");
    }

    [TestMethod]
    public void AStoredCheckpointIsMissingFromTheWitnessOnlyAfterTheGracePeriod()
    {
        var signed = Now - TimeSpan.FromSeconds(30);
        var stored = new[] { At(1, 10), At(1, 20), At(1, 30, signed) };

        var report = Compare(stored, [At(1, 10)]);

        Assert.IsTrue(report.Consistent, "a witness behind is not a tampered log");
        Assert.AreEqual(20, report.MissingFromWitness.Single().Sequence);
        Assert.AreEqual(2, Compare(stored, [At(1, 10)], now: Now + Grace).MissingFromWitness.Count);
    }

    [TestMethod]
    public void CheckpointsSignedBeforeTheWitnessBeganAreCountedNotMissing()
    {
        var report = WitnessFindings.Compare([At(1, 10), At(1, 20), At(1, 30)], [At(1, 30)], [], firstWitnessedAt: At(1, 30).SignedAt, Now, Grace);

        Assert.AreEqual(2, report.BeforeWitness);
        Assert.AreEqual(0, report.MissingFromWitness.Count);
    }

    [TestMethod]
    public void AnEmptyWitnessMissesEveryStoredCheckpointPastTheGracePeriod()
    {
        var report = Compare([At(1, 10), At(1, 20)], []);

        Assert.AreEqual(2, report.MissingFromWitness.Count);
        Assert.AreEqual(0, report.BeforeWitness);
    }

    [TestMethod]
    public void FindingsBeyondTheListLimitAreCounted()
    {
        var witnessed = Enumerable.Range(1, WitnessReport.ListLimit + 5).Select(i => At(1, i)).ToArray();

        var report = Compare([], witnessed);

        Assert.AreEqual(WitnessReport.ListLimit, report.MissingFromDatabase.Count);
        Assert.AreEqual(5, report.Omitted);
    }
}
