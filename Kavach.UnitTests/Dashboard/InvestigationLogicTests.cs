using System.Text.Json;
using Kavach.Contracts;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.History;
using Kavach.Dashboard.Services.Replay;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Dashboard;

/// <summary>The pure parts of search, export and time travel: queries, file lines, progress estimates and the replay clock.</summary>
[TestClass]
public sealed class InvestigationLogicTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    [TestMethod]
    public void UserAndTextSurviveTheUrlAndReachTheApiQuery()
    {
        var parameters = HistoryParameters.Parse("2026-11-28T08:15", null, null, null, null, " alice ", " token 42 ");
        Assert.AreEqual("?from=2026-11-28T08%3A15&userId=alice&q=token%2042", parameters.ToQueryString());
        Assert.AreEqual("/api/kavach/events?limit=100&userId=alice&q=token%2042&since=2026-11-28T08%3A15%3A00.0000000%2B00%3A00",
            parameters.ToQuery().ToPath());
        Assert.AreEqual(parameters, HistoryParameters.Parse("2026-11-28T08:15", null, null, null, null, "alice", "token 42"));
    }

    [TestMethod]
    public void CsvRowsAreRfc4180AndDefuseFormulas()
    {
        var row = EventExport.CsvRow(TestEvents.Make(7, EventTypes.Audit, agentId: "+cmd", userId: "line\nbreak", data: new { note = "a,b" }));
        StringAssert.StartsWith(row, "7,evt-7,2026-11-28T09:00:07.0000000+00:00,audit,'+cmd,\"line\nbreak\",");
        StringAssert.EndsWith(row, "\"{\"\"note\"\":\"\"a,b\"\"}\"");
        Assert.AreEqual(string.Join(',', EventExport.CsvColumns), ExportFormat.Csv.Header);
        Assert.AreEqual("\r\n", ExportFormat.Csv.NewLine);
    }

    [TestMethod]
    public void NdjsonLinesAreOneEventEachInTheApiShape()
    {
        var line = ExportFormat.Ndjson.Line(TestEvents.Make(3, EventTypes.AuthFailed, data: new { reason = "two\nlines" }));
        Assert.DoesNotContain("\n", line);
        var back = JsonSerializer.Deserialize<KavachEvent>(line, KavachJson.Options)!;
        Assert.AreEqual(3, back.Sequence);
        Assert.AreEqual("two\nlines", back.Data.GetProperty("reason").GetString());
        Assert.IsNull(ExportFormat.Ndjson.Header);
    }

    [TestMethod]
    public void ExportFormatsAreCsvAndNdjsonOnly()
    {
        Assert.AreSame(ExportFormat.Csv, ExportFormat.Parse(" CSV "));
        Assert.AreSame(ExportFormat.Ndjson, ExportFormat.Parse("ndjson"));
        Assert.AreSame(ExportFormat.Ndjson, ExportFormat.Parse("jsonl"));
        Assert.IsNull(ExportFormat.Parse("xlsx"));
        Assert.IsNull(ExportFormat.Parse(null));
    }

    [TestMethod]
    public void TheTotalIsEstimatedFromHowFarThroughTheRangeTheExportIs()
    {
        var end = T0.AddHours(1);
        Assert.IsNull(ExportProgress.Estimate(0, T0, end, T0.AddMinutes(30)), "nothing written yet");
        Assert.IsNull(ExportProgress.Estimate(10, T0, end, T0), "no share of the range covered yet");
        Assert.AreEqual(2000, ExportProgress.Estimate(1000, T0, end, T0.AddMinutes(30)));
        Assert.AreEqual(4000, ExportProgress.Estimate(1000, T0, end, T0.AddMinutes(15)));
        Assert.AreEqual(1000, ExportProgress.Estimate(1000, T0, end, end.AddMinutes(5)), "never below what was written");
        Assert.IsNull(ExportProgress.Estimate(5, T0, T0, T0), "an empty range");
    }

    [TestMethod]
    public void ProgressCountsPagesAndIsExactOnceDone()
    {
        var time = new FakeTimeProvider(T0);
        var board = new ExportProgressBoard(time);
        var progress = board.Start("e1", "csv", T0, T0.AddHours(1));
        progress.Wrote(1000, T0.AddMinutes(6));
        progress.Wrote(1000, T0.AddMinutes(12));
        Assert.AreEqual(2000, progress.Written);
        Assert.AreEqual(10000, progress.EstimatedTotal);
        progress.Finish(time.GetUtcNow());
        Assert.AreEqual(ExportState.Done, progress.State);
        Assert.AreEqual(2000, progress.EstimatedTotal);
        Assert.AreSame(progress, board.Get("e1"));
    }

    [TestMethod]
    public void TheBoardForgetsFinishedExportsFirstAndKeepsABoundedNumber()
    {
        var time = new FakeTimeProvider(T0);
        var board = new ExportProgressBoard(time);
        var running = board.Start("running", "csv", T0, T0.AddHours(1));
        board.Start("old", "csv", T0, T0.AddHours(1)).Finish(time.GetUtcNow());
        time.Advance(ExportProgressBoard.KeepFinished + TimeSpan.FromSeconds(1));
        board.Start("trigger", "csv", T0, T0.AddHours(1));
        Assert.IsNull(board.Get("old"), "finished long ago");
        Assert.AreSame(running, board.Get("running"));

        for (var i = 0; i < ExportProgressBoard.MaxKept * 2; i++)
        {
            board.Start($"e{i}", "csv", T0, T0.AddHours(1));
        }

        Assert.IsNotNull(board.Get($"e{(ExportProgressBoard.MaxKept * 2) - 1}"));
        Assert.IsNull(board.Get("e0"));
    }

    [TestMethod]
    public void TheReplayClockMovesAtItsSpeedStandsStillWhenPausedAndGoesOnAfterASpeedChange()
    {
        var time = new FakeTimeProvider(T0.AddDays(1));
        var clock = new ReplayClock(time, T0, ReplaySpeed.Sixty);
        Assert.AreEqual(T0, clock.Now);
        Assert.AreEqual(TimeSpan.FromSeconds(1), clock.Until(T0.AddMinutes(1)), "a minute of the window is a second at 60×");

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.AreEqual(T0.AddMinutes(2), clock.Now);
        Assert.AreEqual(TimeSpan.Zero, clock.Until(T0.AddMinutes(1)), "already reached");

        clock.Pause();
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.AreEqual(T0.AddMinutes(2), clock.Now, "paused");

        clock.Resume();
        clock.Change(ReplaySpeed.RealTime);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.AreEqual(T0.AddMinutes(2).AddSeconds(30), clock.Now);
        Assert.AreEqual(TimeSpan.FromSeconds(30), clock.Until(T0.AddMinutes(3)));
    }

    [TestMethod]
    public void AnUnpacedReplayNeverWaitsAndIsAtItsLastEvent()
    {
        var time = new FakeTimeProvider(T0.AddDays(1));
        var clock = new ReplayClock(time, T0, ReplaySpeed.Max);
        Assert.AreEqual(TimeSpan.Zero, clock.Until(T0.AddHours(5)));
        clock.Reached(T0.AddMinutes(7));
        clock.Reached(T0.AddMinutes(3));
        Assert.AreEqual(T0.AddMinutes(7), clock.Now);
    }

    [TestMethod]
    public void SpeedsComeFromTheUrl()
    {
        Assert.AreSame(ReplaySpeed.Ten, ReplaySpeed.Parse("10x"));
        Assert.AreSame(ReplaySpeed.Max, ReplaySpeed.Parse("MAX"));
        Assert.AreSame(ReplaySpeed.RealTime, ReplaySpeed.Parse("1"));
        Assert.AreSame(ReplaySpeed.Sixty, ReplaySpeed.Parse("bogus"));
        Assert.AreSame(ReplaySpeed.Sixty, ReplaySpeed.Parse(null));
    }

    [TestMethod]
    public void APageQueryCarriesUserAndText() =>
        Assert.AreEqual("/api/kavach/events?limit=1000&userId=bob&q=50%25%20off",
            new PageQuery(Limit: 1000, UserId: " bob ", Text: "50% off").ToPath());
}
