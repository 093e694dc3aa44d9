using Kavach.StreamApi.Events;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class EventTypeFilterTests
{
    [TestMethod]
    public void EmptyAllowListMeansAllTwelveTypes()
    {
        var filter = EventTypeFilter.ForModule([]);
        Assert.HasCount(12, filter.Types);
        Assert.IsTrue(EventTypeCatalog.All.All(filter.Allows));
    }

    [TestMethod]
    public void RequestedTypesAreNarrowedToTheAllowList()
    {
        var module = EventTypeFilter.ForModule(["audit", "anomaly.detected"]);

        Assert.IsTrue(module.TryNarrow("anomaly.detected, agent.created", out var narrowed, out var error));

        Assert.IsNull(error);
        CollectionAssert.AreEqual(new[] { "anomaly.detected" }, narrowed.Types);
        Assert.IsFalse(narrowed.Allows("agent.created"));
    }

    [TestMethod]
    public void UnknownTypeIsAnErrorListingTheValidOnes()
    {
        Assert.IsFalse(EventTypeFilter.ForModule([]).TryNarrow("audit,agent.exploded", out _, out var error));
        StringAssert.Contains(error, "agent.exploded");
        StringAssert.Contains(error, "cost.recorded");
    }

    [TestMethod]
    public void TypeNamesAreCaseSensitiveAsInTheSeed()
    {
        Assert.IsFalse(EventTypeFilter.ForModule([]).TryNarrow("Audit", out _, out _));
    }
}
