using System.Reflection;
using Kavach.Dashboard;
using Kavach.StreamApi;

namespace Kavach.UnitTests.Architecture;

/// <summary>
/// Dependencies between the namespaces of a product assembly point one way: a type that two folders need lives below
/// both. A failure lists each cycle with a type reference per edge, which is where to start cutting.
/// </summary>
[TestClass]
public sealed class NamespaceCycleTests
{
    [TestMethod]
    public void StreamApiNamespacesHaveNoCycle() => AssertNoCycle(typeof(StreamApiServices).Assembly);

    [TestMethod]
    public void ConsoleNamespacesHaveNoCycle() => AssertNoCycle(typeof(DashboardServices).Assembly);

    private static void AssertNoCycle(Assembly assembly)
    {
        var root = assembly.GetName().Name!;
        var graph = NamespaceGraph.Read(assembly, root, out var unresolved);

        Assert.IsEmpty(unresolved, "references the reading could not resolve, so it may have missed a dependency");
        Assert.IsGreaterThan(3, graph.Nodes.Count(), $"the reading found only {string.Join(", ", graph.Nodes)} under {root}");
        Assert.IsEmpty(NamespaceCycles.Find(graph), $"Namespace cycles in {root}:{Environment.NewLine}{NamespaceCycles.Describe(graph)}{Environment.NewLine}");
    }
}
