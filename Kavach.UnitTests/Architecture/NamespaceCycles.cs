namespace Kavach.UnitTests.Architecture;

/// <summary>
/// The cycles of a namespace graph, written so that whoever breaks one knows where to look: for each tangle (strongly
/// connected component), a shortest cycle through each of its edges, two-way dependencies first, each edge with a
/// type reference that makes it.
/// </summary>
internal static class NamespaceCycles
{
    /// <summary>Each tangle as its sorted members and its cycles, every cycle starting at its smallest member.</summary>
    public static IReadOnlyList<(IReadOnlyList<string> Members, IReadOnlyList<IReadOnlyList<string>> Cycles)> Find(NamespaceGraph graph)
    {
        var tangles = StronglyConnected.Components(graph.Nodes, n => graph.From(n).Keys);
        return tangles.Select(members => (members, CyclesWithin(graph, members.ToHashSet()))).ToList();
    }

    /// <summary>One line per cycle: "A -> B (X uses Y); B -> A (Y uses Z)".</summary>
    public static string Describe(NamespaceGraph graph)
    {
        var lines = new List<string>();
        foreach (var (members, cycles) in Find(graph))
        {
            lines.Add($"Tangle of {{{string.Join(", ", members)}}}:");
            foreach (var cycle in cycles)
                lines.Add("  " + string.Join("; ", cycle.Select((from, i) =>
                {
                    var to = cycle[(i + 1) % cycle.Count];
                    return $"{from} -> {to} ({graph.From(from)[to]})";
                })));
        }
        return string.Join(Environment.NewLine, lines);
    }

    private static IReadOnlyList<IReadOnlyList<string>> CyclesWithin(NamespaceGraph graph, HashSet<string> members)
    {
        var cycles = new List<IReadOnlyList<string>>();
        var seen = new HashSet<string>();
        foreach (var from in members.Order(StringComparer.Ordinal))
            foreach (var to in graph.From(from).Keys.Where(members.Contains))
            {
                var cycle = Rotated([from, .. ShortestPath(graph, members, to, from)[..^1]]);
                if (seen.Add(string.Join(" -> ", cycle))) cycles.Add(cycle);
            }
        return cycles.OrderBy(c => c.Count).ThenBy(c => string.Join(" ", c), StringComparer.Ordinal).ToList();
    }

    /// <summary>The nodes from <paramref name="start"/> to <paramref name="goal"/>, both included, staying inside the tangle.</summary>
    private static List<string> ShortestPath(NamespaceGraph graph, HashSet<string> members, string start, string goal)
    {
        var previous = new Dictionary<string, string> { [start] = start };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var node) && node != goal)
            foreach (var next in graph.From(node).Keys.Where(members.Contains))
                if (previous.TryAdd(next, node)) queue.Enqueue(next);
        var path = new List<string> { goal };
        while (path[^1] != start) path.Add(previous[path[^1]]);
        path.Reverse();
        return path;
    }

    private static List<string> Rotated(List<string> cycle)
    {
        var first = cycle.IndexOf(cycle.Min(StringComparer.Ordinal)!);
        return [.. cycle[first..], .. cycle[..first]];
    }
}
