using System.Reflection;

namespace Kavach.UnitTests.Architecture;

/// <summary>
/// Which namespaces under one root depend on which, each dependency with the first type reference that makes it
/// (in the order of the types' full names, so the example is stable from one build to the next).
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly SortedDictionary<string, SortedDictionary<string, string>> _edges = new(StringComparer.Ordinal);

    public IEnumerable<string> Nodes => _edges.Keys;

    public IReadOnlyDictionary<string, string> From(string node) =>
        _edges.TryGetValue(node, out var targets) ? targets : new SortedDictionary<string, string>();

    /// <summary>Adds a dependency of <paramref name="from"/> on <paramref name="to"/>; the first example given is kept.</summary>
    public void Add(string from, string to, string example)
    {
        Node(to);
        Node(from).TryAdd(to, example);
    }

    public bool HasEdge(string from, string to) => From(from).ContainsKey(to);

    /// <summary>The graph of the namespaces under <paramref name="root"/> (the root included), named relative to it.</summary>
    public static NamespaceGraph Read(Assembly assembly, string root, out IReadOnlyList<string> unresolved)
    {
        var graph = new NamespaceGraph();
        var references = new TypeReferences();
        foreach (var (from, to) in references.Of(assembly))
        {
            var source = Relative(from.Namespace, root);
            var target = Relative(to.Namespace, root);
            if (source is null) continue;
            graph.Node(source);
            if (target is not null && target != source) graph.Add(source, target, $"{Name(from)} uses {Name(to)}");
        }
        unresolved = references.Unresolved;
        return graph;
    }

    private SortedDictionary<string, string> Node(string name)
    {
        if (!_edges.TryGetValue(name, out var targets)) _edges[name] = targets = new(StringComparer.Ordinal);
        return targets;
    }

    private static string? Relative(string? space, string root) =>
        space == root ? "(root)" : space is not null && space.StartsWith(root + ".", StringComparison.Ordinal) ? space[(root.Length + 1)..] : null;

    private static string Name(Type type) => type.Name.Split('`')[0];
}
