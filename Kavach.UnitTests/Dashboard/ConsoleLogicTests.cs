using Kavach.Contracts;
using System.Text.Json;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Services.Agents;
using Kavach.Dashboard.Services.Demo;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.History;
using Kavach.Dashboard.Services.Upstream;

namespace Kavach.UnitTests.Dashboard;

[TestClass]
public sealed class ConsoleLogicTests
{
    [TestMethod]
    public void SummariesReadLikeSentences()
    {
        Assert.AreEqual("1.25 USD · gpt-4.1-mini · 10000 tokens",
            EventSummary.Describe(TestEvents.Make(1, EventTypes.CostRecorded, data: new { amount = 1.25, currency = "USD", model = "gpt-4.1-mini", tokens = 10000 })));
        Assert.AreEqual("delegated to agent-helper-1 · invoices:read email:send",
            EventSummary.Describe(TestEvents.Make(2, EventTypes.DelegationCreated, data: new { delegateId = "agent-helper-1", scopes = new[] { "invoices:read", "email:send" } })));
        Assert.AreEqual("budget exceeded: 5.50 EUR of 5.00 EUR · day",
            EventSummary.Describe(TestEvents.Make(3, EventTypes.BudgetExceeded, data: new { budget = 5, spent = 5.5, currency = "EUR", period = "day" })));
        Assert.AreEqual("colour=red, size=3, ok=true",
            EventSummary.Describe(TestEvents.Make(4, "custom.type", data: new { colour = "red", size = 3, nested = new { a = 1 }, ok = true })));
    }

    [TestMethod]
    public void LongSummariesAreCut()
    {
        var summary = EventSummary.Describe(TestEvents.Make(1, EventTypes.AnomalyDetected, data: new { kind = "x", description = new string('a', 400) }));
        Assert.HasCount(160, summary);
        Assert.EndsWith("…", summary);
    }

    [TestMethod]
    public void CsvExportQuotesFieldsAndDefusesFormulas()
    {
        var csv = EventExport.ToCsv([TestEvents.Make(7, EventTypes.Audit, agentId: "=HYPERLINK(\"x\")", userId: "a,b", data: new { action = "say \"hi\"" })]);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(string.Join(',', EventExport.CsvColumns), lines[0]);
        StringAssert.StartsWith(lines[1], "7,evt-7,2026-11-28T09:00:07.0000000+00:00,audit,\"'=HYPERLINK(\"\"x\"\")\",\"a,b\",");
        StringAssert.Contains(lines[1], "\"{\"\"action\"\":\"\"say \\u0022hi\\u0022\"\"}\"");
    }

    [TestMethod]
    public void JsonExportRoundTripsTheApiShape()
    {
        var json = EventExport.ToJson([TestEvents.Make(1, EventTypes.AuthSignIn, data: new { method = "sso" })]);
        var back = JsonSerializer.Deserialize<KavachEvent[]>(json, KavachJson.Options)!;
        Assert.AreEqual("auth.signin", back[0].Type);
        Assert.AreEqual("sso", back[0].Data.GetProperty("method").GetString());
        StringAssert.Contains(json, "\"agentId\": \"agent-1\"");
    }

    [TestMethod]
    public void HistoryParametersSurviveTheUrlAndBuildTheApiQuery()
    {
        var parameters = HistoryParameters.Parse("2026-11-28T08:15", "2026-11-28T09:00", "auth.failed,bogus,audit", " agent-7 ", "42");
        Assert.AreEqual("?from=2026-11-28T08%3A15&to=2026-11-28T09%3A00&types=auth.failed%2Caudit&agentId=agent-7&after=42&format=csv",
            parameters.ToQueryString("csv"));
        Assert.AreEqual(
            "/api/kavach/events?limit=100&after=42&types=auth.failed%2Caudit&agentId=agent-7&since=2026-11-28T08%3A15%3A00.0000000%2B00%3A00&until=2026-11-28T09%3A00%3A00.0000000%2B00%3A00",
            parameters.ToQuery().ToPath());
    }

    [TestMethod]
    public void ADemoStoryCoversAllTwelveTypesAndExceedsItsBudgetAfterCosts()
    {
        var types = new HashSet<string>();
        var random = new Random(1);
        for (var n = 0; n < 6; n++)
        {
            var story = DemoScenario.Story(n, random).ToList();
            types.UnionWith(story.Select(e => e.Type));
            var budget = story.FindIndex(e => e.Type == EventTypes.BudgetExceeded);
            Assert.IsGreaterThan(3, story.Take(budget).Count(e => e.Type == EventTypes.CostRecorded));
            Assert.AreEqual(EventTypes.AgentCreated, story[0].Type);
            Assert.AreEqual(EventTypes.AgentRevoked, story[^1].Type);
        }

        CollectionAssert.AreEquivalent(EventTypes.All.ToArray(), types.ToArray());
    }

    [TestMethod]
    public void AgentProfileFollowsLifecycleDelegationsAndCosts()
    {
        KavachEvent[] events =
        [
            TestEvents.Make(5, EventTypes.AgentRevoked, agentId: "a"),
            TestEvents.Make(1, EventTypes.AgentCreated, agentId: "a"),
            TestEvents.Make(2, EventTypes.DelegationCreated, agentId: "a", data: new { delegateId = "h1" }),
            TestEvents.Make(3, EventTypes.CostRecorded, agentId: "a", data: new { amount = 1.5, currency = "USD" }),
            TestEvents.Make(4, EventTypes.CostRecorded, agentId: "a", data: new { amount = 2.25, currency = "USD" }),
            TestEvents.Make(6, EventTypes.AgentRotated, agentId: "a"),
            TestEvents.Make(7, EventTypes.AnomalyDetected, agentId: "a", data: new { kind = "token reuse" }),
            TestEvents.Make(8, EventTypes.DelegationRevoked, agentId: "a", data: new { delegateId = "h1" }),
            TestEvents.Make(9, EventTypes.AgentCreated, agentId: "other"),
            TestEvents.Make(3, EventTypes.CostRecorded, agentId: "a", data: new { amount = 1.5, currency = "USD" }),
        ];

        var profile = AgentProfile.From("a", events);
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, profile.Timeline.Select(e => e.Sequence).ToArray());
        Assert.AreEqual("revoked", profile.Status);
        Assert.AreEqual(3.75m, profile.CostByCurrency["USD"]);
        Assert.HasCount(1, profile.Rotations);
        Assert.HasCount(1, profile.Anomalies);
        Assert.IsFalse(profile.Delegations.Single().IsActive);
    }

    [TestMethod]
    public void AccessKeysCompareExactlyAndReturnUrlsStayLocal()
    {
        Assert.IsTrue(ConsoleAccess.IsValidKey("correct horse battery", "correct horse battery"));
        Assert.IsFalse(ConsoleAccess.IsValidKey("correct horse batter", "correct horse battery"));
        Assert.IsFalse(ConsoleAccess.IsValidKey("", ""));
        Assert.AreEqual("/history?x=1", ConsoleAccess.SafeReturnUrl("/history?x=1"));
        Assert.AreEqual("/", ConsoleAccess.SafeReturnUrl("//evil.example"));
        Assert.AreEqual("/", ConsoleAccess.SafeReturnUrl("https://evil.example/"));
        Assert.AreEqual("/", ConsoleAccess.SafeReturnUrl("/\\evil.example"));
    }
}
