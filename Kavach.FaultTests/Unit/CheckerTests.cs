using System.Diagnostics;
using Kavach.FaultTests.Checking;
using Kavach.FaultTests.Workload;

namespace Kavach.FaultTests.Unit;

/// <summary>The checker itself, on hand-made streams: it must catch what the scenarios rely on it to catch.</summary>
[TestClass]
public sealed class CheckerTests
{
    private static readonly Dictionary<long, string> Rows = Enumerable.Range(1, 10).ToDictionary(i => (long)i, i => $"e{i}");

    private static Delivery At(long sequence, string? id = null, long received = 0) => new(sequence, id ?? $"e{sequence}", received, 0, 1);

    private static List<Delivery> Stream(params long[] sequences) => [.. sequences.Select(s => At(s))];

    [TestMethod]
    public void EveryCommittedEventOnceInOrderIsClean()
    {
        var verdict = StreamCheck.Check(3, Stream(4, 5, 6, 7, 8, 9, 10), [], Rows, head: 10);

        Assert.AreEqual((0, 0, 0, 0), (verdict.Duplicates, verdict.OutOfOrder, verdict.Phantoms, verdict.Missing));
        Assert.IsEmpty(verdict.Problems);
    }

    [TestMethod]
    public void MissedEventsAreGapsNamedByTheirSequences()
    {
        var verdict = StreamCheck.Check(0, Stream(1, 2, 5, 6, 7, 10), [], Rows, head: 10);

        Assert.AreEqual(4, verdict.Missing);
        StringAssert.Contains(verdict.Problems.Single(), "3-4, 8-9");
    }

    [TestMethod]
    public void AStreamThatStopsShortOfTheHeadHasGapsUpToIt()
    {
        Assert.AreEqual(3, StreamCheck.Check(0, Stream(1, 2, 3, 4, 5, 6, 7), [], Rows, head: 10).Missing);
    }

    [TestMethod]
    public void ARepeatWithinAStretchIsADuplicateButNotAcrossAResync()
    {
        Assert.AreEqual(1, StreamCheck.Check(0, Stream(1, 2, 3, 3, 4), [], Rows, head: 4).Duplicates);

        var resync = new Resync(3, """{"reason":"cursor-ahead-of-stream"}""", "cursor-ahead-of-stream", 0, 0);
        var verdict = StreamCheck.Check(0, Stream(1, 2, 3, 1, 2, 3, 4), [resync], Rows, head: 4);
        Assert.AreEqual(0, verdict.Duplicates);
        Assert.AreEqual(0, verdict.OutOfOrder);
    }

    [TestMethod]
    public void ALowerSequenceAfterAHigherOneIsOutOfOrder()
    {
        Assert.AreEqual(1, StreamCheck.Check(0, Stream(1, 3, 2, 4), [], Rows, head: 4).OutOfOrder);
    }

    [TestMethod]
    public void AnEventPostgresDoesNotHoldIsAPhantom()
    {
        var forged = Stream(1, 2, 3);
        forged.Add(At(4, "forged"));
        forged.Add(At(1_000_004, "forged-far"));

        var verdict = StreamCheck.Check(0, forged, [], Rows, head: 4);

        Assert.AreEqual(2, verdict.Phantoms);
        Assert.AreEqual(1, verdict.Missing, "the real event 4 never came");
    }

    [TestMethod]
    public void AfterARestoreEventsFromBeforeItAreNotPhantomsButLaterOnesMustFollowAResync()
    {
        // Committed now: 1-5 old, 6-8 new (reassigned). The follower saw old 6-7 before the restore, then the new ones.
        var rows = new Dictionary<long, string> { [1] = "e1", [2] = "e2", [3] = "e3", [4] = "e4", [5] = "e5", [6] = "n6", [7] = "n7", [8] = "n8" };
        var restore = new Reassignment(Above: 5, At: 100);
        var before = new List<Delivery> { At(4, received: 10), At(5, received: 10), At(6, "old6", 20), At(7, "old7", 20) };

        var silent = StreamCheck.Check(3, [.. before, At(8, "n8", 200)], [], rows, head: 8, restore);
        Assert.AreEqual(0, silent.Phantoms);
        Assert.AreEqual(2, silent.Missing, "n6 and n7 were skipped silently");

        var resync = new Resync(4, """{"reason":"cursor-ahead-of-stream"}""", "cursor-ahead-of-stream", 150, 0);
        var resynced = StreamCheck.Check(3, [.. before, At(6, "n6", 200), At(7, "n7", 200), At(8, "n8", 200)], [resync], rows, head: 8, restore);
        Assert.IsEmpty(resynced.Problems);
    }

    [TestMethod]
    public void AnAckThatIsNotStoredOrStoredElsewhereIsLost()
    {
        Ack Acked(string id, long sequence) => new(id, sequence, 0, 0, 0, 1);
        var stored = new Dictionary<string, long> { ["a"] = 1, ["b"] = 5 };

        var (lost, destroyed) = AckCheck.Check([Acked("a", 1), Acked("b", 2), Acked("c", 3), Acked("d", 9)], stored, ack => ack.Sequence > 8);

        Assert.HasCount(2, lost);
        Assert.AreEqual(1, destroyed);
    }

    [TestMethod]
    public void A503DuringAFaultIsTheOutageAnswerAnythingElseIsAFailure()
    {
        var clock = new ScenarioClock();
        var windows = new FaultWindows(clock);
        var ledger = new ResponseLedger();
        var before = clock.Now;
        var fault = windows.Begin("PostgreSQL down");
        var during = clock.Now;
        windows.End(fault);
        var longAfter = fault.End!.Value + Stopwatch.Frequency * 10;

        ledger.Record(new Response(RequestKind.Emit, 0, 503, null, during, during));
        ledger.Record(new Response(RequestKind.Emit, 0, 500, null, during, during));
        ledger.Record(new Response(RequestKind.Emit, 0, 503, null, longAfter, longAfter));
        ledger.Record(new Response(RequestKind.Emit, 0, 201, null, before, before));
        var summary = ledger.Summarize(windows);

        Assert.AreEqual(1, summary.OutageUnavailable);
        Assert.HasCount(1, summary.OtherDuringFault);
        Assert.HasCount(1, summary.FromInput);
    }
}
