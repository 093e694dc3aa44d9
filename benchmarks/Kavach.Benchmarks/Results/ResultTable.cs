using System.Text;
using System.Text.Json;

namespace Kavach.Benchmarks.Results;

/// <summary>The suite's output: the table of every figure against its floor and goal, then each workload's details.</summary>
public static class ResultTable
{
    public static string Render(MachineInfo machine, SuiteOptions options, IReadOnlyList<WorkloadReport> reports, TimeSpan duration)
    {
        var text = new StringBuilder();
        text.AppendLine($"## Kavach benchmark suite — {machine.Started:yyyy-MM-dd HH:mm} ({(options.Quick ? "quick" : "full")} run, {duration.TotalMinutes:0.0} min)");
        text.AppendLine();
        text.AppendLine(machine.Describe(options));
        text.AppendLine();
        text.AppendLine("| Workload | Goal | Kavach API | Floor / reference | Ratio | Verdict | Missing / dup / out of order | Generator CPU | Server CPU | CPU per event |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var row in reports.SelectMany(r => r.Rows))
        {
            text.AppendLine($"| {row.Workload} | {row.Goal} | {row.Api} | {row.Reference} | {row.Ratio} | {row.VerdictText} | {row.Correctness} | {row.GeneratorCpu} | {row.ServerCpu} | {row.CpuPerEvent} |");
        }

        foreach (var report in reports)
        {
            text.AppendLine();
            text.AppendLine($"### {report.Title}");
            if (report.Error is { } error)
            {
                text.AppendLine($"- **Failed to run**: {error.GetType().Name}: {error.Message.Split('\n')[0]}");
            }

            foreach (var detail in report.Details)
            {
                text.AppendLine(detail.Length == 0 || detail.StartsWith('|') ? detail : $"- {detail}");
            }
        }

        return text.ToString();
    }

    public static string Json(MachineInfo machine, SuiteOptions options, IReadOnlyList<WorkloadReport> reports) =>
        JsonSerializer.Serialize(new
        {
            machine,
            options,
            workloads = reports.Select(r => new
            {
                r.Id,
                r.Title,
                r.Rows,
                r.Details,
                r.CpuPerEvent,
                r.Violations,
                r.GeneratorBound,
                error = r.Error?.Message,
            }),
        }, new JsonSerializerOptions { WriteIndented = true });
}
