namespace Kavach.UnitTests.Architecture;

[TestClass]
public sealed class NamespaceCycleDetectorTests
{
    [TestMethod]
    public void EachTangleIsFoundWithACycleThroughEachOfItsEdges()
    {
        var graph = new NamespaceGraph();
        graph.Add("A", "B", "a uses b");
        graph.Add("B", "C", "b uses c");
        graph.Add("C", "A", "c uses a");
        graph.Add("C", "D", "c uses d");
        graph.Add("D", "E", "d uses e");
        graph.Add("E", "D", "e uses d");
        graph.Add("E", "F", "e uses f");
        graph.Add("G", "F", "g uses f");

        var tangles = NamespaceCycles.Find(graph);

        CollectionAssert.AreEqual(new[] { "A, B, C", "D, E" }, tangles.Select(t => string.Join(", ", t.Members)).ToArray());
        Assert.AreEqual(
            """
            Tangle of {A, B, C}:
              A -> B (a uses b); B -> C (b uses c); C -> A (c uses a)
            Tangle of {D, E}:
              D -> E (d uses e); E -> D (e uses d)
            """.ReplaceLineEndings(), NamespaceCycles.Describe(graph));
    }

    [TestMethod]
    public void TwoCyclesThroughOneNamespaceAreBothListed()
    {
        var graph = new NamespaceGraph();
        graph.Add("A", "B", "a uses b");
        graph.Add("B", "A", "b uses a");
        graph.Add("A", "C", "a uses c");
        graph.Add("C", "A", "c uses a");

        var (members, cycles) = NamespaceCycles.Find(graph).Single();

        CollectionAssert.AreEqual(new[] { "A", "B", "C" }, members.ToArray());
        CollectionAssert.AreEqual(new[] { "A B", "A C" }, cycles.Select(c => string.Join(" ", c)).ToArray());
    }

    [TestMethod]
    public void DependenciesThatPointOneWayAreNoCycle()
    {
        var graph = new NamespaceGraph();
        graph.Add("A", "B", "a uses b");
        graph.Add("A", "C", "a uses c");
        graph.Add("B", "C", "b uses c");

        Assert.IsEmpty(NamespaceCycles.Find(graph));
        Assert.AreEqual("", NamespaceCycles.Describe(graph));
    }

    [TestMethod]
    public void ReferencesInsideClosuresAndStateMachinesCountForTheirOutermostType()
    {
        const string root = "Kavach.UnitTests.Architecture.CycleFixture";
        var graph = NamespaceGraph.Read(typeof(NamespaceCycleDetectorTests).Assembly, root, out var unresolved);

        Assert.IsEmpty(unresolved);
        CollectionAssert.AreEquivalent(new[] { "Below", "Left", "Right" }, graph.Nodes.ToArray());
        Assert.AreEqual("LeftStart uses RightEnd", graph.From("Left")["Right"]);
        Assert.AreEqual("RightEnd uses LeftStart", graph.From("Right")["Left"]);
        Assert.IsTrue(graph.HasEdge("Left", "Below") && graph.HasEdge("Right", "Below"), "static field reads count");
        Assert.AreEqual(
            """
            Tangle of {Left, Right}:
              Left -> Right (LeftStart uses RightEnd); Right -> Left (RightEnd uses LeftStart)
            """.ReplaceLineEndings(), NamespaceCycles.Describe(graph));
    }
}
