using Kavach.FaultTests.Checking;
using Kavach.FaultTests.Harness;
using Kavach.FaultTests.Workload;

namespace Kavach.FaultTests.Scenarios;

/// <summary>Runs a scenario against a cluster, prints and records its figures, then asserts the contract held.</summary>
public abstract class FaultScenarioTest
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>
    /// Starts the workload, runs the fault script (which ends with <see cref="ScenarioRun.FinishAsync"/>), and fails
    /// the test with every violation found. The figures row is recorded even when the script itself fails.
    /// </summary>
    protected async Task<ScenarioFigures> RunScenarioAsync(FaultCluster cluster, string name, ScenarioOptions? options,
        Func<ScenarioRun, Task<ScenarioFigures>> script)
    {
        await cluster.EnsureHealthyAsync();
        ScenarioFigures figures;
        IReadOnlyList<string> timeline;
        await using (var run = await ScenarioRun.StartAsync(cluster, name, options, TestContext.CancellationToken))
        {
            try
            {
                figures = await script(run);
            }
            catch (Exception e) when (e is not AssertFailedException)
            {
                run.Figures.Violation($"the scenario could not run to its end: {e.GetType().Name}: {e.Message}");
                figures = run.Figures;
                figures.Duration = run.Clock.Elapsed;
                Report(figures, run.Timeline, cluster);
                throw;
            }

            timeline = run.Timeline;
        }

        Report(figures, timeline, cluster);
        figures.AssertContractHeld();
        return figures;
    }

    private void Report(ScenarioFigures figures, IReadOnlyList<string> timeline, FaultCluster cluster)
    {
        FiguresTable.Add(figures);
        var text = figures.Report() + "  timeline: " + string.Join(" | ", timeline) + "\n  logs: " + cluster.LogDirectory;
        TestContext.WriteLine(text);

        // The process logs and the figures travel with the test result (TRX), wherever the results directory is.
        foreach (var log in Directory.EnumerateFiles(cluster.LogDirectory, "*.log").Append(FiguresTable.FilePath))
        {
            TestContext.AddResultFile(log);
        }
    }
}
