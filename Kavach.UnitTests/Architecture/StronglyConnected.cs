namespace Kavach.UnitTests.Architecture;

/// <summary>
/// Tarjan's strongly connected components: the groups of nodes in which every node reaches every other, which are
/// exactly the groups that some cycle passes through.
/// </summary>
internal static class StronglyConnected
{
    /// <summary>The components with more than one node (self-edges are not cycles between namespaces).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Components(IEnumerable<string> nodes, Func<string, IEnumerable<string>> successors)
    {
        var index = new Dictionary<string, int>();
        var lowest = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var found = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            index[node] = lowest[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in successors(node))
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    lowest[node] = Math.Min(lowest[node], lowest[next]);
                }
                else if (onStack.Contains(next))
                {
                    lowest[node] = Math.Min(lowest[node], index[next]);
                }
            }
            if (lowest[node] != index[node]) return;
            var component = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            }
            while (member != node);
            if (component.Count > 1) found.Add(component.Order(StringComparer.Ordinal).ToList());
        }

        foreach (var node in nodes)
            if (!index.ContainsKey(node)) Visit(node);
        return found.OrderBy(c => c[0], StringComparer.Ordinal).ToList();
    }
}
