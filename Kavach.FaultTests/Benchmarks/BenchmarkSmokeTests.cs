using System.Diagnostics;
using System.Text.Json;
using Kavach.Processes;

namespace Kavach.FaultTests.Benchmarks;

/// <summary>
/// The benchmark suite's instrument still works end to end: a quick W5 starts PostgreSQL, Redis, the OTLP sink, two
/// replicas exporting to it and the floor, drives both with the generators, finds every acknowledged event delivered
/// once, in order, reads each process's CPU per event, and measures the replicas again with the exporter off. Figures
/// are not asserted (this is a 2-core machine shared with the rest of the suite); that the suite runs and checks is.
/// </summary>
[TestClass]
public sealed class BenchmarkSmokeTests
{
    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task AQuickEmitRunMeasuresTheApiAndTheFloorWithoutLosingAnEvent()
    {
        var results = Path.Combine(SuiteSettings.LogRoot, "benchmark-smoke");
        var started = Stopwatch.StartNew();
        var suite = ChildProcess.Start("benchmark suite (w5 --quick)", ApiReplica.DotnetHost,
            [SuiteSettings.BenchmarksAssembly, "w5", "--quick", "--warmup", "2", "--results", results],
            new Dictionary<string, string>(), Path.Combine(results, "suite.log"));
        await suite.WaitForExitAsync(TimeSpan.FromSeconds(170));

        Assert.AreEqual(0, suite.ExitCode, suite.LogTail(40));
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(results, "results.json")));
        var w5 = report.RootElement.GetProperty("workloads").EnumerateArray().Single();
        Assert.AreEqual(0, w5.GetProperty("Violations").GetInt64());
        var rows = w5.GetProperty("Rows").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { "0 / 0 / 0", "0 / 0 / 0", "0 / 0 / 0", "0 / 0 / 0" }, rows.Select(r => r.GetProperty("Correctness").GetString()).ToList());
        var row = rows[0];
        StringAssert.Contains(row.GetProperty("Reference").GetString(), "floor");
        StringAssert.Contains(rows[^1].GetProperty("Workload").GetString(), "exporter on vs off");
        var measured = w5.GetProperty("CpuPerEvent").EnumerateArray().Select(m => m.GetProperty("Measured").GetString()).ToList();
        CollectionAssert.AreEqual(new[]
        {
            "Kavach API (OTLP exporter on)", "floor", "PostgreSQL, INSERT", "PostgreSQL, INSERT (1 row per transaction, 64 connections)",
            "Kavach API (OTLP exporter off)", "Kavach API (OTLP exporter on, restarted the same way)",
        }, measured, string.Join(" | ", measured));
        Assert.IsTrue(w5.GetProperty("CpuPerEvent")[0].GetProperty("Processes").EnumerateArray()
            .Any(p => p.GetProperty("Name").GetString() == "otlp-sink" && p.GetProperty("Generator").GetBoolean()));
        Console.WriteLine($"benchmark smoke run: {started.Elapsed.TotalSeconds:0} s; API {row.GetProperty("Api")}, {row.GetProperty("Reference")}");
    }
}
