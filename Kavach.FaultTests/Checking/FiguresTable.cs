using System.Text;

namespace Kavach.FaultTests.Checking;

/// <summary>
/// The per-scenario figures of the whole run: printed with each test's output, rewritten after every scenario
/// to <c>fault-suite-figures.md</c> in the results directory, and printed whole at the end of the run.
/// </summary>
public static class FiguresTable
{
    private static readonly Lock Gate = new();
    private static readonly List<ScenarioFigures> Rows = [];

    public static string FilePath => Path.Combine(SuiteSettings.LogRoot, "fault-suite-figures.md");

    public static void Add(ScenarioFigures figures)
    {
        lock (Gate)
        {
            Rows.Add(figures);
            Directory.CreateDirectory(SuiteSettings.LogRoot);
            File.WriteAllText(FilePath, RenderAll());
        }
    }

    public static string RenderAll()
    {
        lock (Gate)
        {
            var text = new StringBuilder();
            text.AppendLine("# Fault suite figures");
            text.AppendLine();
            text.AppendLine(Render(Rows));
            text.AppendLine();
            foreach (var row in Rows)
            {
                text.AppendLine($"- **{row.Scenario}**: {row.ExtrasLine()}");
                foreach (var violation in row.Violations)
                {
                    text.AppendLine($"  - VIOLATION: {violation}");
                }
            }

            return text.ToString();
        }
    }

    /// <summary>A Markdown table, padded so it also reads as plain text.</summary>
    public static string Render(IReadOnlyList<ScenarioFigures> rows)
    {
        var cells = rows.Select(r => r.Cells()).ToList();
        var widths = ScenarioFigures.Columns.Select((c, i) => Math.Max(c.Length, cells.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        string Line(IReadOnlyList<string> values) =>
            "| " + string.Join(" | ", values.Select((v, i) => i == 0 ? v.PadRight(widths[i]) : v.PadLeft(widths[i]))) + " |";

        var text = new StringBuilder();
        text.AppendLine(Line(ScenarioFigures.Columns));
        text.AppendLine("|" + string.Join("|", widths.Select((w, i) => i == 0 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
        foreach (var row in cells)
        {
            text.AppendLine(Line(row));
        }

        return text.ToString().TrimEnd();
    }
}
