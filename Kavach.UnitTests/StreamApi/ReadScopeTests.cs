using System.Collections.Frozen;
using Kavach.ServiceDefaults.Auth;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Events;

namespace Kavach.UnitTests.StreamApi;

[TestClass]
public sealed class ReadScopeTests
{
    private static readonly EventTypeFilter AllTypes = EventTypeFilter.ForModule([]);

    private static ReadGrant Grant(string[]? types = null, string[]? agents = null, string[]? users = null) =>
        new(types?.ToFrozenSet(), agents?.ToFrozenSet(), users?.ToFrozenSet());

    private static ReadScope Scope(ReadGrant grant, string? types = null, string? agentId = null, string? userId = null)
    {
        Assert.IsTrue(ReadScope.TryCreate(AllTypes, grant, types, agentId, userId, out var scope, out var bad, out var forbidden),
            bad ?? forbidden);
        return scope;
    }

    [TestMethod]
    public void AnEventIsReadableWhenItsTypeIsGrantedAndEitherOfItsPartiesIs()
    {
        var admin = Scope(Grant(users: ["u1"]));
        Assert.IsTrue(admin.Allows("audit", "any-agent", "u1"));
        Assert.IsFalse(admin.Allows("audit", "any-agent", "u2"));
        Assert.IsFalse(admin.Allows("audit", null, null), "an event of no party is for unrestricted readers only");

        var both = Scope(Grant(agents: ["a1"], users: ["u1"]));
        Assert.IsTrue(both.Allows("audit", "a1", null));
        Assert.IsTrue(both.Allows("audit", null, "u1"));
        Assert.IsFalse(both.Allows("audit", "a2", "u2"));

        var anomalies = Scope(Grant(types: ["anomaly.detected"]));
        Assert.IsTrue(anomalies.Allows("anomaly.detected", null, null));
        Assert.IsFalse(anomalies.Allows("audit", "a1", "u1"));

        Assert.IsTrue(Scope(ReadGrant.Everything).Allows("audit", null, null));
    }

    [TestMethod]
    public void TheRequestNarrowsAndNeverWidens()
    {
        var admin = Grant(users: ["u1"]);
        var narrowed = Scope(admin, types: "audit", agentId: "a9"); // a9's events that belong to u1: narrower, so fine
        Assert.IsTrue(narrowed.Allows("audit", "a9", "u1"));
        Assert.IsFalse(narrowed.Allows("audit", "a9", "u2"), "still the token's users only");
        Assert.IsFalse(narrowed.Allows("audit", "a8", "u1"), "only the requested agent");
        Assert.IsFalse(narrowed.Allows("cost.recorded", "a9", "u1"), "only the requested types");

        foreach (var (grant, types, agent, user) in new (ReadGrant, string?, string?, string?)[]
                 {
                     (Grant(agents: ["a1"]), null, "a2", null),
                     (Grant(users: ["u1"]), null, null, "u2"),
                     (Grant(types: ["audit"]), "audit,anomaly.detected", null, null),
                 })
        {
            Assert.IsFalse(ReadScope.TryCreate(AllTypes, grant, types, agent, user, out _, out _, out var forbidden));
            Assert.IsNotNull(forbidden, "asking for what the token can never read is a 403");
        }

        Assert.IsFalse(ReadScope.TryCreate(AllTypes, ReadGrant.Everything, "agent.exploded", null, null, out _, out var bad, out _));
        StringAssert.Contains(bad, "Unknown event type");
    }

    [TestMethod]
    public void TheModuleAllowListStillBoundsEveryToken()
    {
        var module = EventTypeFilter.ForModule(["audit"]);
        Assert.IsTrue(ReadScope.TryCreate(module, ReadGrant.Everything, null, null, null, out var scope, out _, out _));
        Assert.IsFalse(scope.Allows("anomaly.detected", null, null));
    }

    [TestMethod]
    public void ClaimsBecomeAGrantAndTheSubjectCanBeTheAgentOrTheUser()
    {
        using var payload = System.Text.Json.JsonDocument.Parse(
            """{"kavach_types":["audit","agent.revoked"],"kavach_users":"user with spaces","kavach_subject":"agent"}""");
        Assert.IsTrue(ReadGrant.TryParse(payload.RootElement, "agent-7", out var grant, out var error), error);

        Assert.IsTrue(grant.SubjectIsAgent);
        CollectionAssert.AreEquivalent(new[] { "audit", "agent.revoked" }, grant.Types!.ToArray());
        CollectionAssert.AreEquivalent(new[] { "agent-7" }, grant.Agents!.ToArray());
        CollectionAssert.AreEquivalent(new[] { "user with spaces" }, grant.Users!.ToArray(), "a claim value is one id, spaces and all");

        using var robot = System.Text.Json.JsonDocument.Parse("""{"kavach_subject":"robot"}""");
        Assert.IsFalse(ReadGrant.TryParse(robot.RootElement, "x", out _, out error));
        StringAssert.Contains(error, "\"agent\" or \"user\"");
    }
}
