using System.Diagnostics;
using System.Text.Json;
using Kavach.Processes;

namespace Kavach.FaultTests.Benchmarks;

/// <summary>
/// Retention keeps the table bounded under sustained load: the benchmark suite's retention workload, quick (3,000
/// events/s for 90 s against a one-minute retention swept every 5 s, on two replicas of their own), must find the rows
/// never above what the window holds, no sweep failing, and what remains verifying from the anchor. The full
/// measurement (10 minutes) is the same workload without --quick (docs/operations.md, "Retention").
/// </summary>
[TestClass]
public sealed class RetentionSmokeTests
{
    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task RetentionUnderSustainedLoadKeepsTheTableBounded()
    {
        var results = Path.Combine(SuiteSettings.LogRoot, "retention-smoke");
        var started = Stopwatch.StartNew();
        var suite = ChildProcess.Start("benchmark suite (retention --quick)", ApiReplica.DotnetHost,
            [SuiteSettings.BenchmarksAssembly, "retention", "--quick", "--results", results],
            new Dictionary<string, string>(), Path.Combine(results, "suite.log"));
        await suite.WaitForExitAsync(TimeSpan.FromSeconds(220));

        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(results, "results.json")));
        var retention = report.RootElement.GetProperty("workloads").EnumerateArray().Single();
        var row = retention.GetProperty("Rows").EnumerateArray().Single();
        Console.WriteLine($"retention smoke run: {started.Elapsed.TotalSeconds:0} s; {row.GetProperty("Workload")}: {row.GetProperty("Api")} " +
            $"({row.GetProperty("Reference")}); {row.GetProperty("Correctness")}");
        foreach (var detail in retention.GetProperty("Details").EnumerateArray())
        {
            Console.WriteLine(detail.GetString());
        }

        Assert.AreEqual(0, suite.ExitCode, suite.LogTail(40));
        Assert.AreEqual(0, retention.GetProperty("Violations").GetInt64());
        Assert.AreEqual("✅ met", row.GetProperty("VerdictText").GetString(), row.ToString());
    }
}
