using System.Globalization;
using System.Text;

namespace Kavach.FaultTests.Checking;

/// <summary>
/// What one scenario measured, and every way it broke the contract. The common columns are the same for every
/// scenario; <see cref="Extras"/> holds the scenario's own figures in the order they were added.
/// </summary>
public sealed class ScenarioFigures(string scenario)
{
    public string Scenario { get; } = scenario;

    public int Acked { get; set; }

    /// <summary>Acknowledged events not in PostgreSQL, or there under another sequence.</summary>
    public int Lost { get; set; }

    /// <summary>Committed events a follower never received (summed over followers).</summary>
    public int Gaps { get; set; }

    /// <summary>Events a follower received more than once in one stretch of its stream (summed over followers).</summary>
    public int Duplicates { get; set; }

    /// <summary>Events that came after a higher or equal sequence in one stretch of a follower's stream.</summary>
    public int OutOfOrder { get; set; }

    /// <summary>Events a follower received that PostgreSQL does not hold at that sequence with that id.</summary>
    public int Phantoms { get; set; }

    public int FiveHundredsFromInput { get; set; }

    public int UnavailableDuringOutage { get; set; }

    public int OtherFiveHundredsDuringOutage { get; set; }

    public int Followers { get; set; }

    /// <summary>From the end of the fault until every follower had the first event committed after it.</summary>
    public TimeSpan? Recovery { get; set; }

    public bool HasFault { get; set; } = true;

    public TimeSpan Duration { get; set; }

    public List<KeyValuePair<string, string>> Extras { get; } = [];

    /// <summary>Every broken promise, in words; empty when the scenario passed.</summary>
    public List<string> Violations { get; } = [];

    public void Extra(string name, string value) => Extras.Add(new(name, value));

    public void Extra(string name, double value, string unit = "") =>
        Extras.Add(new(name, value.ToString(value >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture) + unit));

    public void Extra(string name, TimeSpan? value) => Extras.Add(new(name, Seconds(value)));

    public void Violation(string message) => Violations.Add(message);

    public static string Seconds(TimeSpan? value) =>
        value is { } v ? v.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "—";

    public static readonly string[] Columns =
        ["scenario", "acked", "lost", "gaps", "dup", "order", "phantom", "5xx input", "503 outage", "5xx other", "recovery", "duration", "result"];

    public string[] Cells() =>
    [
        Scenario,
        Acked.ToString(CultureInfo.InvariantCulture),
        Lost.ToString(CultureInfo.InvariantCulture),
        Gaps.ToString(CultureInfo.InvariantCulture),
        Duplicates.ToString(CultureInfo.InvariantCulture),
        OutOfOrder.ToString(CultureInfo.InvariantCulture),
        Phantoms.ToString(CultureInfo.InvariantCulture),
        FiveHundredsFromInput.ToString(CultureInfo.InvariantCulture),
        UnavailableDuringOutage.ToString(CultureInfo.InvariantCulture),
        OtherFiveHundredsDuringOutage.ToString(CultureInfo.InvariantCulture),
        HasFault ? (Recovery is null ? "not recovered" : Seconds(Recovery)) : "n/a",
        Seconds(Duration),
        Violations.Count == 0 ? "pass" : "FAIL",
    ];

    public string ExtrasLine() => string.Join("; ", Extras.Select(e => $"{e.Key} {e.Value}"));

    /// <summary>The row, the scenario's own figures and the violations, as printed in the test output.</summary>
    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine(FiguresTable.Render([this]));
        text.AppendLine($"  {Scenario}: {ExtrasLine()}");
        foreach (var violation in Violations)
        {
            text.AppendLine("  VIOLATION: " + violation);
        }

        return text.ToString();
    }

    /// <summary>Fails the test with every violation at once.</summary>
    public void AssertContractHeld()
    {
        if (Violations.Count > 0)
        {
            Assert.Fail($"{Scenario}: {Violations.Count} violation(s):\n- " + string.Join("\n- ", Violations));
        }
    }
}
