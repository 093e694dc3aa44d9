using Kavach.Contracts;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.Feed;

namespace Kavach.UnitTests.Dashboard;

[TestClass]
public sealed class FeedFilterTests
{
    private static readonly KavachEvent[] Events =
    [
        TestEvents.Make(1, EventTypes.AgentCreated, agentId: "agent-alpha", userId: "user-asha"),
        TestEvents.Make(2, EventTypes.AuthFailed, agentId: null, userId: "user-bilal"),
        TestEvents.Make(3, EventTypes.CostRecorded, agentId: "agent-beta", userId: null),
        TestEvents.Make(4, EventTypes.AuthFailed, agentId: "agent-alpha", userId: "user-asha"),
    ];

    [TestMethod]
    public void NoFilterShowsEverythingNewestFirst() =>
        CollectionAssert.AreEqual(new long[] { 4, 3, 2, 1 }, FeedFilter.All.NewestFirst(Events).Select(e => e.Sequence).ToArray());

    [TestMethod]
    public void TypesAndPartyCombine()
    {
        var filter = new FeedFilter(new HashSet<string> { EventTypes.AuthFailed }, "ASHA");
        CollectionAssert.AreEqual(new long[] { 4 }, filter.NewestFirst(Events).Select(e => e.Sequence).ToArray());
    }

    [TestMethod]
    public void PartyMatchesAgentOrUserIds()
    {
        var filter = new FeedFilter(new HashSet<string>(), "alpha");
        CollectionAssert.AreEqual(new long[] { 4, 1 }, filter.NewestFirst(Events).Select(e => e.Sequence).ToArray());
        filter = new FeedFilter(new HashSet<string>(), "bilal");
        CollectionAssert.AreEqual(new long[] { 2 }, filter.NewestFirst(Events).Select(e => e.Sequence).ToArray());
    }

    [TestMethod]
    public void APausedViewStopsAtItsSequenceAndCountsWhatCameAfter()
    {
        var filter = new FeedFilter(new HashSet<string> { EventTypes.AuthFailed }, null);
        CollectionAssert.AreEqual(new long[] { 2 }, filter.NewestFirst(Events, upToSequence: 2).Select(e => e.Sequence).ToArray());
        Assert.AreEqual(1, filter.CountNewerThan(Events, 2));
        Assert.AreEqual(2, FeedFilter.All.CountNewerThan(Events, 2));
    }
}
