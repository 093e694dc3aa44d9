using System.Net.Http.Json;
using Kavach.Client;
using Kavach.Contracts;
using System.Globalization;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Demo;
using Kavach.Dashboard.Services.Events;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// The console in real headless Chromium against the running system: events go in through the real emit API and
/// must come out in the page. Every test works on agent ids of its own, since other tests emit at the same time.
/// </summary>
[TestClass]
public sealed class ConsoleInBrowserTests
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = (float)ConsoleSystem.UiTimeout.TotalMilliseconds };
    private static ConsoleSystem s_system = default!;

    public TestContext TestContext { get; set; } = default!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context) => s_system = await ConsoleSystem.StartAsync(context.CancellationToken);

    [TestCleanup]
    public async Task ClosePagesAsync()
    {
        if (s_system is not null)
        {
            await s_system.CloseOpenPagesAsync();
        }
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_system is not null)
        {
            await s_system.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task EmittedEventsAppearLiveNewestFirstWithTheirDetails()
    {
        var page = await s_system.OpenAsync();
        await Expect(page.Locator("[data-testid=upstream-status][data-state=Connected]")).ToBeVisibleAsync(Visible);

        var agent = ConsoleSystem.UniqueId("agent-live");
        var first = new NewEvent(EventTypes.AgentCreated, new { name = "live test" }, Id: ConsoleSystem.UniqueId("e"), AgentId: agent, UserId: "user-live");
        var second = new NewEvent(EventTypes.CostRecorded, new { amount = 1.25, currency = "USD", model = "gpt-4.1-mini" }, Id: ConsoleSystem.UniqueId("e"), AgentId: agent);
        await s_system.EmitAsync(first, second);

        var rows = page.Locator($"button.event-row:has-text('{agent}')");
        await Expect(rows).ToHaveCountAsync(2, new() { Timeout = Visible.Timeout });
        Assert.AreEqual(second.Id, await rows.Nth(0).GetAttributeAsync("data-event-id"), "newest first");
        await Expect(rows.Nth(0)).ToContainTextAsync("1.25 USD · gpt-4.1-mini");

        await rows.Nth(1).ClickAsync();
        await Expect(page.Locator("[data-testid=event-details] pre")).ToContainTextAsync($"\"id\": \"{first.Id}\"");
    }

    [TestMethod]
    public async Task OpenTabsShareTheConsolesOneUpstreamConnection()
    {
        var first = await s_system.OpenAsync();
        await Expect(first.Locator("[data-testid=upstream-status][data-state=Connected]")).ToBeVisibleAsync(Visible);
        var before = await ApiConnectionsAsync();

        var more = new List<IPage>();
        for (var i = 0; i < 3; i++)
        {
            more.Add(await s_system.OpenAsync(i % 2 == 0 ? "/" : "/history"));
        }

        var agent = ConsoleSystem.UniqueId("agent-tabs");
        var emitted = await s_system.EmitAsync(new NewEvent(EventTypes.AuthSignIn, new { method = "sso" }, AgentId: agent));
        foreach (var page in more.Where((_, i) => i % 2 == 0).Append(first))
        {
            await Expect(page.Locator($"button.event-row[data-seq='{emitted[0].Sequence}']")).ToBeVisibleAsync(Visible);
        }

        var after = await ApiConnectionsAsync();
        Assert.IsLessThanOrEqualTo(before, after, $"API stream connections went from {before} to {after} with four console tabs open");
    }

    [TestMethod]
    public async Task ATamperedEventRaisesAChainAlertThatStaysUntilAcknowledged()
    {
        var page = await s_system.OpenAsync();
        var chain = page.Locator("[data-testid=chain-state]");
        var alert = page.Locator("[data-testid=chain-alert]");
        await Expect(chain).ToContainTextAsync("chain verified to #", new() { Timeout = Visible.Timeout });
        if (await alert.CountAsync() > 0)
        {
            await alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge the broken chain" }).ClickAsync(); // an earlier test's
        }

        var emitted = await s_system.EmitAsync(new NewEvent(EventTypes.AuthSignIn, new { method = "sso" }, AgentId: ConsoleSystem.UniqueId("agent-chain")));
        var sequence = emitted[0].Sequence;
        await ExpectChainValidAsync(page);

        // Every replica's hub has delivered the event before it is altered: a hub that read it from PostgreSQL while it
        // was altered would (rightly) refuse to sign from then on, and the badge below could not turn valid again.
        foreach (var replica in KavachSystem.StreamApiReplicas)
        {
            await using var stream = await Kavach.Tests.Support.SseClient.ConnectAsync(replica, Kavach.Tests.Support.Tokens.Reader(),
                lastEventId: (sequence - 1).ToString(CultureInfo.InvariantCulture));
            await stream.CollectAsync(received => received.Any(e => e.Sequence >= sequence), TimeSpan.FromSeconds(20));
        }

        await using var database = new Npgsql.NpgsqlConnection(await KavachSystem.DatabaseConnectionStringAsync());
        await database.OpenAsync();
        string original;
        await using (var read = new Npgsql.NpgsqlCommand($"SELECT body FROM kavach_stream_events WHERE sequence = {sequence}", database))
        {
            original = (string)(await read.ExecuteScalarAsync())!;
        }

        async Task SetBodyAsync(string body)
        {
            await using var update = new Npgsql.NpgsqlCommand($"UPDATE kavach_stream_events SET body = $1 WHERE sequence = {sequence}", database)
            {
                Parameters = { new Npgsql.NpgsqlParameter { Value = body } },
            };
            await update.ExecuteNonQueryAsync();
        }

        await SetBodyAsync(original.Replace("\"sso\"", "\"password\"", StringComparison.Ordinal));
        try
        {
            await Expect(page.Locator($"[data-testid=chain-alert] [data-seq='{sequence}'][data-break-kind=altered]")).ToBeVisibleAsync(Visible);
            await Expect(chain).ToHaveAttributeAsync("data-valid", "false");
        }
        finally
        {
            await SetBodyAsync(original);
        }

        // Put right, the chain verifies again, but the alert stays: someone must have seen it.
        await ExpectChainValidAsync(page);
        await Expect(alert).ToBeVisibleAsync();
        await alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge the broken chain" }).ClickAsync();
        await Expect(alert).ToHaveCountAsync(0);
    }

    /// <summary>The badge says the chain is valid; if it does not in time, the failure quotes the alert that says why.</summary>
    private static async Task ExpectChainValidAsync(IPage page)
    {
        try
        {
            await Expect(page.Locator("[data-testid=chain-state]")).ToHaveAttributeAsync("data-valid", "true", new() { Timeout = Visible.Timeout });
        }
        catch (PlaywrightException e)
        {
            var alerts = page.Locator("[data-testid=chain-alert]");
            var why = await alerts.CountAsync() > 0 ? await alerts.First.InnerTextAsync() : "(no chain alert shown)";
            throw new AssertFailedException($"The chain badge did not turn valid. Alert: {why}", e);
        }
    }

    [TestMethod]
    public async Task TypeChipsAndTheAgentFilterShowOnlyMatchingEvents()
    {
        var page = await s_system.OpenAsync();
        var alpha = ConsoleSystem.UniqueId("agent-alpha");
        var beta = ConsoleSystem.UniqueId("agent-beta");
        await s_system.EmitAsync(
            new NewEvent(EventTypes.Audit, new { action = "read" }, AgentId: alpha),
            new NewEvent(EventTypes.CostRecorded, new { amount = 0.5 }, AgentId: alpha),
            new NewEvent(EventTypes.CostRecorded, new { amount = 0.7 }, AgentId: beta));

        await page.Locator("[data-testid=party-filter]").FillAsync(alpha);
        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(2, new() { Timeout = Visible.Timeout });

        await page.Locator($".chips button[data-type='{EventTypes.CostRecorded}']").ClickAsync();
        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(1);
        await Expect(page.Locator("button.event-row")).ToHaveAttributeAsync("data-type", EventTypes.CostRecorded);
        await Expect(page.Locator("button.event-row")).ToContainTextAsync(alpha);

        await page.Locator("[data-testid=party-filter]").FillAsync("");
        await Expect(page.Locator($"button.event-row:has-text('{beta}')")).ToHaveCountAsync(1);
        await Expect(page.Locator($"button.event-row[data-type='{EventTypes.Audit}']:has-text('{alpha}')")).ToHaveCountAsync(0);
    }

    [TestMethod]
    public async Task PausingKeepsAndCountsNewEventsAndResumingShowsEachOnce()
    {
        var page = await s_system.OpenAsync();
        var agent = ConsoleSystem.UniqueId("agent-pause");
        await page.Locator("[data-testid=party-filter]").FillAsync(agent);
        await s_system.EmitAsync(new NewEvent(EventTypes.Audit, new { action = "before pause" }, AgentId: agent));
        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(1, new() { Timeout = Visible.Timeout });

        // The pause takes effect when the circuit delivers the click to the server, some time after ClickAsync
        // returns; events emitted before then are already in the view. aria-pressed is rendered by the server.
        var pause = page.Locator("[data-testid=pause]");
        await pause.ClickAsync();
        await Expect(pause).ToHaveAttributeAsync("aria-pressed", "true");
        await s_system.EmitAsync(Enumerable.Range(1, 5)
            .Select(i => new NewEvent(EventTypes.Audit, new { action = $"while paused {i}" }, AgentId: agent)).ToArray());

        await Expect(page.Locator("[data-testid=new-count]")).ToHaveTextAsync("5 new", new() { Timeout = Visible.Timeout });
        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(1);

        await pause.ClickAsync();
        await Expect(pause).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(6);
        var sequences = await page.Locator("button.event-row").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.seq))");
        CollectionAssert.AreEqual(sequences.OrderByDescending(s => s).ToArray(), sequences, "newest first, no duplicates");
        Assert.HasCount(6, sequences.Distinct());
    }

    [TestMethod]
    public async Task AnAnomalyRaisesAnAlertThatStaysUntilAcknowledged()
    {
        var page = await s_system.OpenAsync();

        var agent = ConsoleSystem.UniqueId("agent-anomaly");
        var emitted = await s_system.EmitAsync(new NewEvent(EventTypes.AnomalyDetected,
            new { kind = "impossible travel", score = 0.97, description = "Lisbon then Osaka within 3 minutes" }, AgentId: agent));

        var alert = page.Locator($"[data-testid=alert-banner] [data-seq='{emitted[0].Sequence}']");
        await Expect(alert).ToBeVisibleAsync(Visible);
        await Expect(alert).ToContainTextAsync("impossible travel");
        await Expect(page.Locator($"button.event-row.alert[data-seq='{emitted[0].Sequence}']")).ToBeVisibleAsync(Visible);

        // Still there once later events have been rendered, and on another page of the console too.
        var later = await s_system.EmitAsync(new NewEvent(EventTypes.Audit, new { action = "after the anomaly" }, AgentId: agent));
        await Expect(page.Locator($"button.event-row[data-seq='{later[0].Sequence}']")).ToBeVisibleAsync(Visible);
        await Expect(alert).ToBeVisibleAsync();
        await page.Locator("nav a[href=history]").ClickAsync();
        await Expect(alert).ToBeVisibleAsync(Visible);

        // Acknowledged in the API (alerts outlast the console: ConsoleAlertTests), so it leaves every page's banner.
        await alert.Locator("button").ClickAsync();
        await Expect(alert).ToHaveCountAsync(0, new() { Timeout = Visible.Timeout });
    }

    [TestMethod]
    public async Task HistoryBrowsesPersistedEventsPageByPageAndExportsThePage()
    {
        var agent = ConsoleSystem.UniqueId("agent-history");
        await s_system.EmitAsync(Enumerable.Range(1, 130)
            .Select(i => new NewEvent(i % 2 == 0 ? EventTypes.Audit : EventTypes.CostRecorded, new { n = i, amount = 0.01 * i }, AgentId: agent)).ToArray());

        var page = await s_system.OpenAsync("/history");
        await Expect(page.Locator("[data-testid=history-page]")).ToContainTextAsync("Page 1", new() { Timeout = Visible.Timeout });
        await page.Locator("[data-testid=history-agent]").FillAsync(agent);
        await page.Locator("[data-testid=history-search]").ClickAsync();
        await Expect(page.Locator("[data-testid=export-csv]")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex($"agentId={agent}"), new() { Timeout = Visible.Timeout });
        await Expect(page.Locator("[data-testid=history-list] button.event-row")).ToHaveCountAsync(100, new() { Timeout = Visible.Timeout });
        var firstPage = await page.Locator("[data-testid=history-list] button.event-row").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.seq))");
        CollectionAssert.AreEqual(firstPage.Order().ToArray(), firstPage, "ascending");

        var csvHref = await page.Locator("[data-testid=export-csv]").GetAttributeAsync("href");
        var csv = await s_system.Console.GetStringAsync("/" + csvHref).WaitAsync(ConsoleSystem.UiTimeout);
        Assert.HasCount(101, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries), "a header and the 100 rows shown");
        StringAssert.Contains(csv, agent);

        await page.Locator("[data-testid=history-next]").ClickAsync();
        await Expect(page.Locator("[data-testid=history-list] button.event-row")).ToHaveCountAsync(30, new() { Timeout = Visible.Timeout });
        await Expect(page.Locator("[data-testid=history-next]")).ToBeDisabledAsync();
        var secondPage = await page.Locator("[data-testid=history-list] button.event-row").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.seq))");
        Assert.IsGreaterThan(firstPage[^1], secondPage[0]);

        await page.Locator("[data-testid=history-previous]").ClickAsync();
        await Expect(page.Locator("[data-testid=history-list] button.event-row").First).ToHaveAttributeAsync("data-seq", firstPage[0].ToString(CultureInfo.InvariantCulture));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "kavach-console-history.png") });
    }

    [TestMethod]
    public async Task TheAgentViewShowsLifecycleDelegationsCostsAndAnomaliesInTimeOrder()
    {
        var story = DemoScenario.Story(2, new Random(7));
        var agent = story[0].AgentId!;
        foreach (var chunk in story.Chunk(5))
        {
            await s_system.EmitAsync(chunk);
        }

        var page = await s_system.OpenAsync($"/agents/{agent}");
        await Expect(page.Locator("[data-testid=agent-status]")).ToHaveTextAsync("revoked", new() { Timeout = Visible.Timeout });
        var expected = story.Count(e => e.AgentId == agent);
        await Expect(page.Locator("[data-testid=agent-timeline] button.event-row")).ToHaveCountAsync(expected);
        var types = await page.Locator("[data-testid=agent-timeline] button.event-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.type)");
        Assert.AreEqual(EventTypes.AgentCreated, types[0]);
        Assert.AreEqual(EventTypes.AgentRevoked, types[^1]);
        CollectionAssert.IsSubsetOf(new[] { EventTypes.AgentRotated, EventTypes.DelegationCreated, EventTypes.CostRecorded, EventTypes.AnomalyDetected }, types);
        await Expect(page.Locator("[data-testid=agent-summary]")).ToContainTextAsync("USD");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "kavach-console-agent.png") });
    }

    [TestMethod]
    public async Task AfterTheUpstreamDropsTheFeedRecoversWithoutDuplicatesOrGaps()
    {
        var page = await s_system.OpenAsync();
        var agent = ConsoleSystem.UniqueId("agent-drop");
        await page.Locator("[data-testid=party-filter]").FillAsync(agent);
        var before = await s_system.EmitAsync(Enumerable.Range(1, 10)
            .Select(i => new NewEvent(EventTypes.Audit, new { n = i }, AgentId: agent)).ToArray());
        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(10, new() { Timeout = Visible.Timeout });
        var reconnectsBefore = (await s_system.FeedStatusAsync()).GetProperty("upstream").GetProperty("reconnects").GetInt32();

        using var dropRequest = new HttpRequestMessage(HttpMethod.Post, "/api/console/upstream/drop") { Headers = { { "X-Kavach-Console", "1" } } };
        using (var drop = await s_system.Console.SendAsync(dropRequest).WaitAsync(ConsoleSystem.UiTimeout))
        {
            drop.EnsureSuccessStatusCode();
        }

        // Emitted while the console is between connections: it must catch up from Last-Event-ID.
        var during = await s_system.EmitAsync(Enumerable.Range(11, 10)
            .Select(i => new NewEvent(EventTypes.Audit, new { n = i }, AgentId: agent)).ToArray());
        await Expect(page.Locator("[data-testid=upstream-status][data-state=Connected]")).ToBeVisibleAsync(Visible);
        var after = await s_system.EmitAsync(new NewEvent(EventTypes.Audit, new { n = 21 }, AgentId: agent));

        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(21, new() { Timeout = Visible.Timeout });
        var shown = await page.Locator("button.event-row").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.seq))");
        var expected = before.Concat(during).Concat(after).Select(e => e.Sequence).OrderDescending().ToArray();
        CollectionAssert.AreEqual(expected, shown);

        var status = await s_system.FeedStatusAsync();
        Assert.IsGreaterThan(reconnectsBefore, status.GetProperty("upstream").GetProperty("reconnects").GetInt32());
    }

    /// <summary>
    /// Thousands of events at once overflow the API's per-subscriber queue (64 in the test system), so the API
    /// drops the console's stream as a slow consumer; the console must resume from its last sequence and end up
    /// with every event exactly once, while the page renders only the rows in view.
    /// </summary>
    [TestMethod]
    public async Task ABurstBiggerThanTheApiQueueArrivesCompleteAndOnceAndStaysVirtualised()
    {
        const int Batches = 5;
        const int BatchSize = 1000;
        var page = await s_system.OpenAsync();
        var agent = ConsoleSystem.UniqueId("agent-burst");
        await page.Locator("[data-testid=party-filter]").FillAsync(agent);
        var reconnectsBefore = (await s_system.FeedStatusAsync()).GetProperty("upstream").GetProperty("reconnects").GetInt32();

        var emitted = new List<EmittedEvent>();
        for (var b = 0; b < Batches; b++)
        {
            emitted.AddRange(await s_system.EmitAsync(Enumerable.Range(0, BatchSize)
                .Select(i => new NewEvent(i % 3 == 0 ? EventTypes.CostRecorded : EventTypes.Audit, new { b, i, amount = 0.01 }, AgentId: agent)).ToArray()));
        }

        await Expect(page.Locator("[data-testid=shown-count]")).ToContainTextAsync($"{Batches * BatchSize} shown", new() { Timeout = 3 * Visible.Timeout });
        Assert.AreEqual(emitted.Max(e => e.Sequence).ToString(CultureInfo.InvariantCulture),
            await page.Locator("button.event-row").First.GetAttributeAsync("data-seq"));
        var rendered = await page.Locator("button.event-row").CountAsync();
        Assert.IsLessThan(120, rendered, $"{rendered} rows in the DOM for {Batches * BatchSize} events");

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await page.Locator($".chips button[data-type='{EventTypes.CostRecorded}']").ClickAsync();
        await Expect(page.Locator("[data-testid=shown-count]")).ToContainTextAsync($"{Batches * ((BatchSize + 2) / 3)} shown");
        TestContext.WriteLine($"{rendered} rows in the DOM; type filter applied in {stopwatch.ElapsedMilliseconds} ms; " +
            $"upstream reconnects during the burst: {(await s_system.FeedStatusAsync()).GetProperty("upstream").GetProperty("reconnects").GetInt32() - reconnectsBefore}");
    }

    [TestMethod]
    public async Task TheDestinationsPageShowsAWebhookAndPausesAndResumesIt()
    {
        // A webhook of its own, at an address where nothing listens: its row, its pause and resume are what is checked.
        var path = ConsoleSystem.UniqueId("/hooks/console");
        using var admin = new HttpClient { BaseAddress = KavachSystem.StreamApiReplicas[0] };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Kavach.Tests.Support.Tokens.Admin("console-destinations"));
        using var answer = await admin.PostAsJsonAsync(KavachRoutes.Webhooks,
            new WebhookRequest(Url: $"http://127.0.0.1:9{path}?token=s3cret", Description: null), KavachJson.Options);
        Assert.AreEqual(System.Net.HttpStatusCode.Created, answer.StatusCode, await answer.Content.ReadAsStringAsync());
        var id = (await answer.Content.ReadFromJsonAsync<WebhookCreated>(KavachJson.Options))!.Webhook.Id;
        try
        {
            var page = await s_system.OpenAsync("/destinations", width: 390, height: 844);
            var row = page.Locator($"tr[data-id='{id}']");
            await Expect(row.Locator("[data-testid=destination-url]")).ToHaveTextAsync($"http://127.0.0.1:9{path}?token=…", new() { Timeout = Visible.Timeout });
            Assert.IsFalse((await page.ContentAsync()).Contains("s3cret", StringComparison.Ordinal), "no query secret in the page");
            var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
            Assert.IsFalse(overflow, "no horizontal scrolling at 390 px");

            await row.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
            await row.Locator("[data-testid=pause-reason]").FillAsync("browser test");
            await row.Locator("[data-testid=pause-form] button[type=submit]").ClickAsync();
            await Expect(row.Locator("[data-testid=destination-state]")).ToHaveTextAsync("paused", new() { Timeout = Visible.Timeout });
            await Expect(row.Locator("[data-testid=destination-reason]")).ToContainTextAsync("browser test");
            await Expect(page.Locator("[data-testid=action-outcome]")).ToContainTextAsync("paused");

            await row.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
            await Expect(row.Locator("[data-testid=destination-state]")).ToHaveTextAsync("enabled", new() { Timeout = Visible.Timeout });
            using var view = await admin.GetAsync($"{KavachRoutes.Webhooks}/{id}");
            StringAssert.Contains(await view.Content.ReadAsStringAsync(), "\"state\":\"enabled\"", "the API holds what the page shows");
        }
        finally
        {
            using var deleted = await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{id}");
        }
    }

    [TestMethod]
    public async Task TheLivePageWorksOnANarrowScreen()
    {
        var page = await s_system.OpenAsync(width: 390, height: 844);
        var firstFocusable = await page.EvaluateAsync<string>(
            "() => document.querySelector('a[href], button, input, [tabindex]:not([tabindex=\"-1\"])').textContent");
        Assert.AreEqual("Skip to content", firstFocusable.Trim());
        await page.Locator("a.skip").FocusAsync();
        await Expect(page.Locator("a.skip")).ToBeInViewportAsync();

        var agent = ConsoleSystem.UniqueId("agent-narrow");
        await s_system.EmitAsync(new NewEvent(EventTypes.AuthSignIn, new { method = "sso" }, AgentId: agent));
        await page.Locator("[data-testid=party-filter]").FillAsync(agent);
        await Expect(page.Locator("button.event-row")).ToHaveCountAsync(1, new() { Timeout = Visible.Timeout });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "kavach-console-narrow.png"), FullPage = true });
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.IsFalse(overflow, "no horizontal scrolling at 390 px");

        // Keyboard only: from the filter, Tab reaches Pause, and Space presses it.
        await page.Locator("[data-testid=party-filter]").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Space");
        await Expect(page.Locator("[data-testid=pause]")).ToHaveAttributeAsync("aria-pressed", "true");
    }

    [TestMethod]
    public async Task DemoTrafficEmitsRealEventsThroughTheApi()
    {
        var page = await s_system.OpenAsync();
        var demo = page.Locator("[data-testid=demo-traffic]");
        await page.Locator("[data-testid=party-filter]").FillAsync("agent-demo-");
        // Earlier tests emit demo stories too: only events after this point show that the button started traffic.
        var before = (await s_system.FeedStatusAsync()).GetProperty("lastSequence").GetInt64();
        await demo.ClickAsync();
        try
        {
            await Expect(demo).ToHaveAttributeAsync("aria-pressed", "true");
            foreach (var type in new[] { EventTypes.AgentCreated, EventTypes.CostRecorded })
            {
                await page.WaitForFunctionAsync(
                    "([type, after]) => [...document.querySelectorAll(`button.event-row[data-type='${type}']`)].some(r => Number(r.dataset.seq) > after)",
                    new object[] { type, before }, new() { Timeout = Visible.Timeout });
            }

            await demo.ClickAsync();
            await Expect(demo).ToHaveAttributeAsync("aria-pressed", "false");
            await Expect(demo).ToContainTextAsync("off");
        }
        finally
        {
            // Whatever happened above, no demo traffic may run on into the next tests.
            using var stop = await s_system.Console.DeleteAsync("/api/demo/traffic").WaitAsync(ConsoleSystem.UiTimeout);
            stop.EnsureSuccessStatusCode();
        }
    }

    [TestMethod]
    public async Task TheLivePageScreenshotIsSaved()
    {
        var page = await s_system.OpenAsync();
        var random = new Random(42);
        foreach (var number in new[] { 3, 4 })
        {
            var story = DemoScenario.Story(number, random);
            foreach (var chunk in story.Chunk(4))
            {
                await s_system.EmitAsync(chunk);
                await Task.Delay(60); // paced like live traffic, for the picture: nothing is waited for
            }
        }

        await Expect(page.Locator("[data-testid=alert-banner]")).ToBeVisibleAsync(Visible);
        // By id: rows still arriving may shift the third row down before the click lands.
        var selectedId = await page.Locator("button.event-row").Nth(2).GetAttributeAsync("data-event-id");
        await page.Locator($"button.event-row[data-event-id='{selectedId}']").ClickAsync();
        await Expect(page.Locator("[data-testid=event-details] pre")).ToContainTextAsync($"\"id\": \"{selectedId}\"");

        // Written beside the test output, not into the work tree; copy it to docs/images/console.png to refresh the README.
        var path = Path.Combine(AppContext.BaseDirectory, "screenshots", "console.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        Assert.IsTrue(new FileInfo(path).Length > 10_000, path);
        TestContext.WriteLine($"Screenshot: {path}");
    }

    /// <summary>
    /// Not an assertion on speed: measures emit (HTTP POST sent) to the row being in the page's DOM, on this machine,
    /// and logs the figures. The browser records when each row is inserted with a MutationObserver; both clocks are
    /// this machine's wall clock.
    /// </summary>
    [TestMethod]
    public async Task EmitToVisibleLatencyIsMeasured()
    {
        const int Samples = 30;
        var page = await s_system.OpenAsync();
        await page.EvaluateAsync("""
            () => {
              window.__seen = {};
              new MutationObserver(records => {
                const now = Date.now();
                for (const r of records) for (const n of r.addedNodes) {
                  if (n.nodeType !== 1) continue;
                  for (const row of [n, ...n.querySelectorAll('[data-event-id]')]) {
                    const id = row.dataset && row.dataset.eventId;
                    if (id && !(id in window.__seen)) window.__seen[id] = now;
                  }
                }
              }).observe(document.querySelector('[data-testid=feed]'), { childList: true, subtree: true });
            }
            """);

        var agent = ConsoleSystem.UniqueId("agent-latency");
        var latencies = new List<double>();
        for (var i = 0; i < Samples; i++)
        {
            var id = ConsoleSystem.UniqueId("lat");
            var sent = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await s_system.EmitAsync(new NewEvent(EventTypes.Audit, new { sample = i }, Id: id, AgentId: agent));
            await Expect(page.Locator($"[data-event-id='{id}']")).ToBeAttachedAsync(new() { Timeout = Visible.Timeout });
            var seen = await page.EvaluateAsync<long>($"() => window.__seen['{id}'] ?? Date.now()");
            latencies.Add(seen - sent);
            await Task.Delay(150); // samples apart by more than the page's 100 ms render batch, so each is its own render
        }

        latencies.Sort();
        var median = latencies[latencies.Count / 2];
        var p95 = latencies[(int)Math.Ceiling(latencies.Count * 0.95) - 1];
        var message = string.Create(CultureInfo.InvariantCulture,
            $"emit-to-visible over {Samples} events: median {median:0} ms, p95 {p95:0} ms, min {latencies[0]:0} ms, max {latencies[^1]:0} ms");
        TestContext.WriteLine(message);
        var report = Path.Combine(AppContext.BaseDirectory, "emit-to-visible.txt");
        await File.WriteAllTextAsync(report, $"{DateTimeOffset.UtcNow:O} {message}{Environment.NewLine}");
    }

    private static async Task<int> ApiConnectionsAsync()
    {
        using var document = System.Text.Json.JsonDocument.Parse(
            await s_system.Api.GetStringAsync("/api/kavach/events/stream/connections").WaitAsync(ConsoleSystem.UiTimeout));
        return document.RootElement.GetProperty("total").GetInt32();
    }
}
