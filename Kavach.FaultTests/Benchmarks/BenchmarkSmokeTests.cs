using System.Diagnostics;
using System.Text.Json;
using Kavach.Processes;

namespace Kavach.FaultTests.Benchmarks;

/// <summary>
/// The benchmark suite's instrument still works end to end: a quick W5 starts PostgreSQL, Redis, two replicas and the
/// floor, drives both with the generators, and finds every acknowledged event delivered once, in order. Figures are
/// not asserted (this is a 2-core machine shared with the rest of the suite); that the suite runs and checks is.
/// </summary>
[TestClass]
public sealed class BenchmarkSmokeTests
{
    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task AQuickEmitRunMeasuresTheApiAndTheFloorWithoutLosingAnEvent()
    {
        var results = Path.Combine(SuiteSettings.LogRoot, "benchmark-smoke");
        var started = Stopwatch.StartNew();
        var suite = ChildProcess.Start("benchmark suite (w5 --quick)", ApiReplica.DotnetHost,
            [SuiteSettings.BenchmarksAssembly, "w5", "--quick", "--results", results],
            new Dictionary<string, string>(), Path.Combine(results, "suite.log"));
        await suite.WaitForExitAsync(TimeSpan.FromSeconds(80));

        Assert.AreEqual(0, suite.ExitCode, suite.LogTail(40));
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(results, "results.json")));
        var w5 = report.RootElement.GetProperty("workloads").EnumerateArray().Single();
        Assert.AreEqual(0, w5.GetProperty("Violations").GetInt64());
        var row = w5.GetProperty("Rows").EnumerateArray().Single();
        Assert.AreEqual("0 / 0 / 0", row.GetProperty("Correctness").GetString());
        StringAssert.Contains(row.GetProperty("Reference").GetString(), "floor");
        Console.WriteLine($"benchmark smoke run: {started.Elapsed.TotalSeconds:0} s; API {row.GetProperty("Api")}, {row.GetProperty("Reference")}");
    }
}
