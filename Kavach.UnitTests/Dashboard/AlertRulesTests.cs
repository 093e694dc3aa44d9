using Kavach.Contracts;
using Kavach.Dashboard;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Events;
using Kavach.UnitTests.Support;

namespace Kavach.UnitTests.Dashboard;

[TestClass]
public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset T = TestEvents.Start;

    [TestMethod]
    public void FailuresOfTwoUsersEachBelowTheThresholdRaiseNothingWhereTheOldGlobalCountWouldHave()
    {
        var rules = new AlertRules(new AlertRulesOptions());
        var found = new List<AlertCandidate>();
        for (var i = 1; i <= 8; i++)
        {
            found.AddRange(rules.Observe(Failed(i, user: i % 2 == 0 ? "bob" : "carol", agent: null, at: T.AddSeconds(i))));
        }

        Assert.IsEmpty(found, "four failures each for bob and carol within a minute are not a burst of either");
    }

    [TestMethod]
    public void OneUserOverTheThresholdRaisesOneAlertNamingThatUserWithItsEvidence()
    {
        var rules = new AlertRules(new AlertRulesOptions());
        var found = new List<AlertCandidate>();
        for (var i = 1; i <= 9; i++)
        {
            found.AddRange(rules.Observe(Failed(i, user: "mallory", agent: null, at: T.AddSeconds(i))));
        }

        found.AddRange(rules.Observe(Failed(10, user: "bob", agent: null, at: T.AddSeconds(10))));

        var burst = found.Single();
        Assert.AreEqual("auth-failed-per-user", burst.Rule);
        Assert.AreEqual(AlertKinds.Burst, burst.Kind);
        Assert.AreEqual(AlertEntityKinds.User, burst.EntityKind);
        Assert.AreEqual("mallory", burst.Entity);
        StringAssert.Contains(burst.Title, "user mallory");
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5 }, burst.Evidence.ToArray());
        Assert.AreEqual(TimeSpan.FromSeconds(60), burst.Window);
        Assert.AreEqual(60, burst.ToRaise().DedupeWindowSeconds);
    }

    [TestMethod]
    public void AnAgentsFailuresAreCountedPerAgentAsWellAsPerUser()
    {
        var rules = new AlertRules(new AlertRulesOptions());
        var found = Enumerable.Range(1, 5)
            .SelectMany(i => rules.Observe(Failed(i, user: $"user-{i}", agent: "agent-9", at: T.AddSeconds(i)))).ToList();

        var burst = found.Single();
        Assert.AreEqual("auth-failed-per-agent", burst.Rule);
        Assert.AreEqual(AlertEntityKinds.Agent, burst.EntityKind);
        Assert.AreEqual("agent-9", burst.Entity);
    }

    [TestMethod]
    public void ABurstRaisesOncePerWindowAndALaterBurstAgain()
    {
        var rules = new AlertRules(new AlertRulesOptions());
        var early = Enumerable.Range(1, 12).SelectMany(i => rules.Observe(Failed(i, "bob", null, T.AddSeconds(i)))).ToList();
        Assert.HasCount(1, early, "one burst of twelve failures in twelve seconds is one alert");

        var spread = Enumerable.Range(13, 4).SelectMany(i => rules.Observe(Failed(i, "bob", null, T.AddSeconds(100 + (i * 20))))).ToList();
        Assert.IsEmpty(spread, "four failures spread over a minute are no burst");

        var later = Enumerable.Range(17, 5).SelectMany(i => rules.Observe(Failed(i, "bob", null, T.AddMinutes(10).AddSeconds(i)))).ToList();
        Assert.HasCount(1, later, "a later burst raises a new alert");
    }

    [TestMethod]
    public void ReplayingTheSameEventsFindsTheSameAlertsWithTheSameEvidence()
    {
        var events = Enumerable.Range(1, 7).Select(i => Failed(i, "bob", "agent-1", T.AddSeconds(i)))
            .Append(TestEvents.Make(8, EventTypes.AnomalyDetected, data: new { score = 0.9 }))
            .ToList();

        IReadOnlyList<AlertCandidate> Run() => events.SelectMany(new AlertRules(new AlertRulesOptions()).Observe).ToList();

        var first = Run();
        var again = Run();
        Assert.HasCount(3, first);
        CollectionAssert.AreEqual(
            first.Select(c => $"{c.Rule}/{c.Entity}/{string.Join(',', c.Evidence)}").ToArray(),
            again.Select(c => $"{c.Rule}/{c.Entity}/{string.Join(',', c.Evidence)}").ToArray());
    }

    [TestMethod]
    public void AnomaliesRaiseAtOrAboveTheScoreThresholdAndWithoutAScore()
    {
        var rules = new AlertRules(new AlertRulesOptions { Anomaly = { MinScore = 0.8 } });

        Assert.IsEmpty(rules.Observe(TestEvents.Make(1, EventTypes.AnomalyDetected, data: new { kind = "odd hours", score = 0.79 })));
        var high = rules.Observe(TestEvents.Make(2, EventTypes.AnomalyDetected, agentId: "agent-7", data: new { kind = "token reuse", score = 0.8 })).Single();
        Assert.AreEqual(AnomalyRuleOptions.Rule, high.Rule);
        Assert.AreEqual(AlertEntityKinds.Agent, high.EntityKind);
        Assert.AreEqual("agent-7", high.Entity);
        StringAssert.Contains(high.Detail, "token reuse");
        CollectionAssert.AreEqual(new long[] { 2 }, high.Evidence.ToArray());
        Assert.IsNull(high.Window, "each anomaly is its own alert");

        var unscored = rules.Observe(TestEvents.Make(3, EventTypes.AnomalyDetected, agentId: null, userId: "dave", data: new { kind = "new country" })).Single();
        Assert.AreEqual(AlertEntityKinds.User, unscored.EntityKind);
        Assert.AreEqual("dave", unscored.Entity);
    }

    [TestMethod]
    public void AnExceededBudgetRaisesForItsAgentAndNotifiesTheNamedDestination()
    {
        var hook = Guid.NewGuid();
        var rules = new AlertRules(new AlertRulesOptions { Budget = { Notify = hook } });

        var alert = rules.Observe(TestEvents.Make(1, EventTypes.BudgetExceeded, agentId: "agent-3", data: new { budget = 5, spent = 5.5, currency = "USD" })).Single();
        Assert.AreEqual(BudgetRuleOptions.BudgetRule, alert.Rule);
        Assert.AreEqual("agent-3", alert.Entity);
        Assert.AreEqual(hook, alert.ToRaise().NotifyDestination);
        StringAssert.Contains(alert.Detail, "5.50 USD");
    }

    [TestMethod]
    public void SpendingOverTheThresholdWithinTheWindowRaisesOncePerAgent()
    {
        var rules = new AlertRules(new AlertRulesOptions { Budget = { CostThreshold = 10m, CostWindow = TimeSpan.FromHours(1) } });
        var found = new List<AlertCandidate>();
        for (var i = 1; i <= 12; i++)
        {
            found.AddRange(rules.Observe(TestEvents.Make(i, EventTypes.CostRecorded, agentId: "agent-a", data: new { amount = 1.0 }, timestamp: T.AddMinutes(i))));
            found.AddRange(rules.Observe(TestEvents.Make(100 + i, EventTypes.CostRecorded, agentId: "agent-b", data: new { amount = 0.5 }, timestamp: T.AddMinutes(i))));
        }

        var spending = found.Single();
        Assert.AreEqual(BudgetRuleOptions.CostRule, spending.Rule);
        Assert.AreEqual("agent-a", spending.Entity);
        Assert.HasCount(10, spending.Evidence);
        StringAssert.Contains(spending.Detail, "10.00 spent");
    }

    [TestMethod]
    public void WithoutACostThresholdCostsRaiseNothingAndDisabledRulesStaySilent()
    {
        var rules = new AlertRules(new AlertRulesOptions { Budget = { Enabled = false }, Anomaly = { Enabled = false } });
        Assert.IsEmpty(rules.Observe(TestEvents.Make(1, EventTypes.CostRecorded, data: new { amount = 1e6 })));
        Assert.IsEmpty(rules.Observe(TestEvents.Make(2, EventTypes.BudgetExceeded)));
        Assert.IsEmpty(rules.Observe(TestEvents.Make(3, EventTypes.AnomalyDetected, data: new { score = 1 })));
    }

    [TestMethod]
    public void ConfiguredBurstRulesReplaceTheDefaultsAndCanWatchAnyType()
    {
        var rules = new AlertRules(new AlertRulesOptions
        {
            Bursts = [new() { Name = "revocations", Type = EventTypes.DelegationRevoked, Per = BurstRuleOptions.PerAgent, Threshold = 3, Window = TimeSpan.FromMinutes(5) }],
        });

        Assert.IsEmpty(Enumerable.Range(1, 10).SelectMany(i => rules.Observe(Failed(i, "bob", "agent-1", T.AddSeconds(i)))).ToList(),
            "the default auth.failed rules are replaced");
        var found = Enumerable.Range(11, 3).SelectMany(i => rules.Observe(TestEvents.Make(i, EventTypes.DelegationRevoked, timestamp: T.AddMinutes(i - 10)))).ToList();
        Assert.AreEqual("revocations", found.Single().Rule);
        Assert.AreEqual("Burst of delegation.revoked for agent agent-1", found.Single().Title);
    }

    [TestMethod]
    public void EntitiesQuietForAWholeWindowAreForgotten()
    {
        var rules = new AlertRules(new AlertRulesOptions());
        for (var i = 1; i <= 3000; i++)
        {
            // A new user every event, an hour apart in total: old ones fall out of every window.
            rules.Observe(Failed(i, $"user-{i}", null, T.AddSeconds(i)));
        }

        Assert.IsLessThan(1200, rules.TrackedEntities, $"{rules.TrackedEntities} entities still tracked");
    }

    [TestMethod]
    public void UnusableRulesAreEachNamedByTheirKey()
    {
        var problems = new AlertRulesOptions
        {
            Bursts =
            [
                new() { Name = "a", Type = "auth.nope", Per = "ip", Threshold = 1, Window = TimeSpan.Zero },
                new() { Name = "a" },
            ],
            Budget = { CostThreshold = 0 },
            Anomaly = { MinScore = -1 },
        }.Problems();

        var text = string.Join("\n", problems);
        StringAssert.Contains(text, "Console:Rules:Bursts:0:Type 'auth.nope' is not an event type");
        StringAssert.Contains(text, "Console:Rules:Bursts:0:Per 'ip' must be userId or agentId");
        StringAssert.Contains(text, "Console:Rules:Bursts:0:Threshold");
        StringAssert.Contains(text, "Console:Rules:Bursts:0:Window");
        StringAssert.Contains(text, "Console:Rules:Bursts:1:Name 'a' is used by another rule");
        StringAssert.Contains(text, "Console:Rules:Budget:CostThreshold");
        StringAssert.Contains(text, "Console:Rules:Anomaly:MinScore");
        Assert.IsEmpty(new AlertRulesOptions().Problems(), "the defaults are usable");
    }

    [TestMethod]
    public void TheConsoleRefusesToStartWithABadRuleAndStartsWithGoodOnes()
    {
        var settings = new Dictionary<string, string?>
        {
            ["StreamApi:BaseAddress"] = "http://127.0.0.1:9",
            ["StreamApi:Token"] = "a-token",
            ["Console:Rules:Bursts:0:Name"] = "per-ip",
            ["Console:Rules:Bursts:0:Per"] = "ip",
        };
        var error = StartupValidation.Failure("Development", settings, builder => builder.AddDashboardServices());
        StringAssert.Contains(error, "Console:Rules:Bursts:0:Per 'ip' must be userId or agentId");

        settings["Console:Rules:Bursts:0:Per"] = "agentId";
        settings["Console:Rules:Anomaly:MinScore"] = "0.8";
        StartupValidation.Passes("Development", settings, builder => builder.AddDashboardServices());
    }

    private static KavachEvent Failed(long sequence, string? user, string? agent, DateTimeOffset at) =>
        TestEvents.Make(sequence, EventTypes.AuthFailed, agentId: agent, userId: user, data: new { reason = "bad password" }, timestamp: at);
}
