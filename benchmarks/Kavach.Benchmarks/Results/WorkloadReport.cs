namespace Kavach.Benchmarks.Results;

public enum Verdict
{
    Met,
    NotMet,
    Info,
    Failed,
}

/// <summary>
/// One line of the table: the figure for the API, the same figure for the floor (or PostgreSQL, for W5b) measured
/// in the same run, their ratio, whether the goal is met, and what was checked and spent while measuring.
/// </summary>
public sealed record ResultRow(
    string Workload,
    string Goal,
    string Api,
    string Reference,
    string Ratio,
    Verdict Verdict,
    string Correctness,
    string GeneratorCpu,
    string ServerCpu,
    string CpuPerEvent = "—")
{
    public string VerdictText => Verdict switch
    {
        Verdict.Met => "✅ met",
        Verdict.NotMet => "❌ not met",
        Verdict.Failed => "⚠ failed to run",
        _ => "—",
    };
}

/// <summary>A workload's rows, the lines that explain them, and whether anything broke a promise while measuring.</summary>
public sealed class WorkloadReport(string id, string title)
{
    public string Id { get; } = id;

    public string Title { get; } = title;

    public List<ResultRow> Rows { get; } = [];

    public List<string> Details { get; } = [];

    /// <summary>Each measured stretch's CPU per event, process by process (results.json); the details say it in words.</summary>
    public List<CpuPerEvent> CpuPerEvent { get; } = [];

    public long Violations { get; set; }

    public bool GeneratorBound { get; set; }

    public Exception? Error { get; set; }

    /// <summary>Keeps <paramref name="cpu"/> per event for results.json and returns it, for the row and the details.</summary>
    public CpuPerEvent AddCpuPerEvent(string measured, string per, long events, CpuReading cpu)
    {
        var perEvent = Results.CpuPerEvent.From(measured, per, events, cpu);
        CpuPerEvent.Add(perEvent);
        return perEvent;
    }
}
