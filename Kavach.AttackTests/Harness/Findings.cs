using System.Collections.Concurrent;
using System.Text;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// What each attack got, in words: a row per attack, printed as one table at the end of the run (the table the
/// issue's note gives before and after).
/// </summary>
public static class Findings
{
    private static readonly ConcurrentQueue<(string Attack, string Outcome)> Rows = new();

    public static void Record(string attack, string outcome)
    {
        Rows.Enqueue((attack, outcome));
        Console.WriteLine($"[attack] {attack}: {outcome}");
    }

    public static string Render()
    {
        var table = new StringBuilder("\nAttack suite — what each attack got:\n\n| Attack | Outcome |\n| --- | --- |\n");
        foreach (var (attack, outcome) in Rows)
        {
            table.Append("| ").Append(attack.Replace("|", "\\|", StringComparison.Ordinal)).Append(" | ")
                .Append(outcome.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
        }

        return table.ToString();
    }
}
