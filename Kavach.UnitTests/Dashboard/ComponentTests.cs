using System.Net;
using Bunit;
using Kavach.Dashboard.Components.Controls;
using Kavach.Dashboard.Components.Pages;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Demo;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.Feed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kavach.UnitTests.Dashboard;

[TestClass]
public sealed class ComponentTests
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(5);

    [TestMethod]
    public async Task TypeChipsToggleATypeInAndOutOfTheSelection()
    {
        using var ctx = new BunitContext();
        IReadOnlySet<string>? selected = null;
        var cut = ctx.Render<TypeChips>(p => p
            .Add(c => c.Selected, new HashSet<string> { EventTypes.Audit })
            .Add(c => c.SelectedChanged, s => selected = s));

        Assert.AreEqual("true", cut.Find($"button[data-type='{EventTypes.Audit}']").GetAttribute("aria-pressed"));
        await cut.Find($"button[data-type='{EventTypes.AuthFailed}']").ClickAsync();
        CollectionAssert.AreEquivalent(new[] { EventTypes.Audit, EventTypes.AuthFailed }, selected!.ToArray());
        await cut.Find($"button[data-type='{EventTypes.Audit}']").ClickAsync();
        Assert.IsEmpty(selected!);
    }

    [TestMethod]
    public void RateChartStacksOneBarSegmentPerTypeAndMinute()
    {
        var rates = new RateBuckets(15);
        var now = TestEvents.Start.AddMinutes(10);
        rates.Add(EventTypes.AuthSignIn, now.AddMinutes(-1));
        rates.Add(EventTypes.AuthSignIn, now.AddMinutes(-1));
        rates.Add(EventTypes.AuthFailed, now.AddMinutes(-1));
        rates.Add(EventTypes.AnomalyDetected, now);

        using var ctx = new BunitContext();
        var cut = ctx.Render<RateChart>(p => p.Add(c => c.Series, rates.Series(now)));

        var titles = cut.FindAll("rect title").Select(t => t.TextContent).ToList();
        CollectionAssert.AreEquivalent(new[] { "09:09 auth.signin: 2", "09:09 auth.failed: 1", "09:10 anomaly.detected: 1" }, titles);
        StringAssert.Contains(cut.Find("svg").GetAttribute("aria-label"), "4 events in the last 15 minutes");
        Assert.AreEqual(50, RateChart.NiceMax(41));
        Assert.AreEqual(200, RateChart.NiceMax(101));
    }

    [TestMethod]
    public async Task LivePageShowsNewestFirstAndFiltersByTypeAndParty()
    {
        using var ctx = NewContext(out var feed);
        feed.TryAppend(TestEvents.Make(1, EventTypes.AgentCreated, agentId: "agent-alpha"));
        feed.TryAppend(TestEvents.Make(2, EventTypes.AuthFailed, agentId: null, userId: "user-bilal"));
        feed.TryAppend(TestEvents.Make(3, EventTypes.CostRecorded, agentId: "agent-beta", data: new { amount = 0.5 }));

        var cut = ctx.Render<Live>();
        AssertRows(cut, new[] { "3", "2", "1" });

        await cut.Find($".chips button[data-type='{EventTypes.AuthFailed}']").ClickAsync();
        AssertRows(cut, new[] { "2" });

        await cut.Find($".chips button[data-type='{EventTypes.AuthFailed}']").ClickAsync();
        await cut.Find("[data-testid=party-filter]").InputAsync("BETA");
        AssertRows(cut, new[] { "3" });
    }

    [TestMethod]
    public async Task PausingKeepsAndCountsNewEventsAndResumingShowsThem()
    {
        using var ctx = NewContext(out var feed);
        feed.TryAppend(TestEvents.Make(1));
        var cut = ctx.Render<Live>();
        // Awaited: Click() only queues the event on the renderer, and appends made before the pause is handled
        // would count as already seen.
        await cut.Find("[data-testid=pause]").ClickAsync();
        Assert.AreEqual("true", cut.Find("[data-testid=pause]").GetAttribute("aria-pressed"));

        feed.TryAppend(TestEvents.Make(2));
        feed.TryAppend(TestEvents.Make(3));
        cut.WaitForAssertion(() => Assert.AreEqual("2 new", cut.Find("[data-testid=new-count]").TextContent), WaitTimeout);
        AssertRows(cut, new[] { "1" });

        await cut.Find("[data-testid=pause]").ClickAsync();
        AssertRows(cut, new[] { "3", "2", "1" });
    }

    [TestMethod]
    public async Task SelectingARowShowsItsFullJson()
    {
        using var ctx = NewContext(out var feed);
        feed.TryAppend(TestEvents.Make(7, EventTypes.AnomalyDetected, agentId: "agent-x", data: new { kind = "token reuse", score = 0.91 }));
        var cut = ctx.Render<Live>();

        await cut.Find("button.event-row[data-seq='7']").ClickAsync();
        var details = cut.Find("[data-testid=event-details]");
        StringAssert.Contains(details.QuerySelector("pre")!.TextContent, "\"score\": 0.91");
        Assert.AreEqual("agents/agent-x", details.QuerySelector("a")!.GetAttribute("href"));
    }

    // Virtualize may finish its render after the click returns.
    private static void AssertRows(IRenderedComponent<Live> cut, string[] expected) =>
        cut.WaitForAssertion(() => CollectionAssert.AreEqual(expected, Rows(cut)), WaitTimeout);

    private static string[] Rows(IRenderedComponent<Live> cut) =>
        cut.FindAll("button.event-row").Select(r => r.GetAttribute("data-seq")!).ToArray();

    private static BunitContext NewContext(out EventFeed feed)
    {
        var ctx = new BunitContext();
        feed = TestEvents.Feed(time: TimeProvider.System);
        ctx.Services.AddSingleton(feed);
        ctx.Services.AddSingleton(TimeProvider.System);
        ctx.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new StreamApiOptions()));
        ctx.Services.AddSingleton<ILogger<DemoTrafficGenerator>>(NullLogger<DemoTrafficGenerator>.Instance);
        ctx.Services.AddSingleton<DemoTrafficGenerator>();
        ctx.Services.AddSingleton(new AlertsWatcher(new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(),
            Microsoft.Extensions.Options.Options.Create(new AlertRulesOptions()), TimeProvider.System, NullLogger<AlertsWatcher>.Instance));
        ctx.Services.AddSingleton(new StreamApiClient(new HttpClient(new HealthyApi()) { BaseAddress = new Uri("http://streamapi") }));
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        return ctx;
    }

    /// <summary>Only the health probe the live page makes on load; these tests are about the page, not the API.</summary>
    private sealed class HealthyApi : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"status\":\"Healthy\"}") });
    }
}
