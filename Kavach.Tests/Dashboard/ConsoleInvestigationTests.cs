using System.Globalization;
using System.Text.Json;
using Kavach.Client;
using Kavach.Contracts;
using Kavach.Dashboard.Services.Events;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// Investigation in real headless Chromium against the running system, as a viewer: a search by user and text, a
/// whole-range export larger than one API page downloaded and read back, and a time-travel replay of a past window.
/// </summary>
[TestClass]
public sealed class ConsoleInvestigationTests
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = (float)ConsoleSystem.UiTimeout.TotalMilliseconds };
    private static ConsoleSystem s_system = default!;

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

    private static string Minute(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    [TestMethod]
    public async Task ASearchByUserAndTextFindsTheRightEventsAndTheAddressKeepsIt()
    {
        var marker = ConsoleSystem.UniqueId("Exfil");
        var (mallory, trent) = (ConsoleSystem.UniqueId("mallory"), ConsoleSystem.UniqueId("trent"));
        var emitted = await s_system.EmitAsync(
            new NewEvent(EventTypes.AuthFailed, new { reason = $"{marker} attempt" }, UserId: mallory),
            new NewEvent(EventTypes.Audit, new { action = "nothing here" }, UserId: mallory),
            new NewEvent(EventTypes.Audit, new { action = $"download {marker.ToUpperInvariant()}" }, AgentId: "agent-x", UserId: mallory),
            new NewEvent(EventTypes.AuthFailed, new { reason = $"{marker} attempt" }, UserId: trent));
        var expected = new[] { emitted[0].Id, emitted[2].Id };

        var page = await s_system.OpenAsync("/history", user: DevUsers.Viewer);
        await Expect(page.Locator("[data-testid=history-page]")).ToContainTextAsync("Page 1", new() { Timeout = Visible.Timeout });
        await page.Locator("[data-testid=history-user]").FillAsync(mallory);
        await page.Locator("[data-testid=history-text]").FillAsync(marker.ToLowerInvariant());
        await page.Locator("[data-testid=history-search]").ClickAsync();

        var rows = page.Locator("[data-testid=history-list] button.event-row");
        await Expect(rows).ToHaveCountAsync(2, new() { Timeout = Visible.Timeout });
        CollectionAssert.AreEqual(expected, await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)"));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"userId={mallory}.*q={marker.ToLowerInvariant()}"));

        // The address is the query: opened again (a bookmark), it shows the same events.
        var bookmark = await s_system.OpenAsync(new Uri(page.Url).PathAndQuery, user: DevUsers.Viewer);
        var again = bookmark.Locator("[data-testid=history-list] button.event-row");
        await Expect(again).ToHaveCountAsync(2, new() { Timeout = Visible.Timeout });
        await Expect(bookmark.Locator("[data-testid=history-text]")).ToHaveValueAsync(marker.ToLowerInvariant());
        CollectionAssert.AreEqual(expected, await again.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)"));
    }

    [TestMethod]
    public async Task AWholeRangeExportLargerThanOnePageDownloadsEveryEventOnceInOrder()
    {
        const int Count = 2_345; // three of the API's pages of 1000
        var agent = ConsoleSystem.UniqueId("agent-export");
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        var ids = new List<string>(Count);
        foreach (var chunk in Enumerable.Range(1, Count).Chunk(500))
        {
            var emitted = await s_system.EmitAsync([.. chunk.Select(i => new NewEvent(
                i % 3 == 0 ? EventTypes.CostRecorded : EventTypes.Audit, new { n = i, note = i % 7 == 0 ? "comma, \"quote\"\nline" : "plain" }, AgentId: agent))]);
            ids.AddRange(emitted.Select(e => e.Id));
        }

        var page = await s_system.OpenAsync($"/history?agentId={agent}&from={Minute(from)}", user: DevUsers.Viewer);
        await Expect(page.Locator("[data-testid=history-list] button.event-row")).ToHaveCountAsync(100, new() { Timeout = Visible.Timeout });

        var ndjson = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=export-range-ndjson]").ClickAsync(),
            new() { Timeout = (float)TimeSpan.FromMinutes(2).TotalMilliseconds });
        StringAssert.EndsWith(ndjson.SuggestedFilename, ".ndjson");
        var lines = (await File.ReadAllLinesAsync((await ndjson.PathAsync())!)).Where(l => l.Length > 0).ToList();
        var events = lines.Select(l => JsonSerializer.Deserialize<KavachEvent>(l, KavachJson.Options)!).ToList();
        CollectionAssert.AreEqual(ids, events.Select(e => e.Id).ToList(), "every event once, in sequence order");
        Assert.IsTrue(events.Zip(events.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        Assert.AreEqual("comma, \"quote\"\nline", events[6].Data.GetProperty("note").GetString());

        var progress = page.Locator("[data-testid=export-progress]");
        await Expect(progress).ToHaveAttributeAsync("data-state", "done", new() { Timeout = Visible.Timeout });
        await Expect(progress).ToHaveAttributeAsync("data-written", Count.ToString(CultureInfo.InvariantCulture));

        var csv = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=export-range-csv]").ClickAsync(),
            new() { Timeout = (float)TimeSpan.FromMinutes(2).TotalMilliseconds });
        StringAssert.EndsWith(csv.SuggestedFilename, ".csv");
        var text = await File.ReadAllTextAsync((await csv.PathAsync())!);
        var records = CsvRecords(text);
        Assert.AreEqual(string.Join(',', Kavach.Dashboard.Services.History.EventExport.CsvColumns), string.Join(',', records[0]));
        CollectionAssert.AreEqual(ids, records.Skip(1).Select(r => r[1]).ToList(), "every event once, in sequence order");
        Assert.IsTrue(records.Skip(1).All(r => r[4] == agent));
    }

    [TestMethod]
    public async Task ATimeTravelReplayShowsTheWindowsEventsAndPausesAndGoesOn()
    {
        var agent = ConsoleSystem.UniqueId("agent-replay");
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        start = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, start.Minute, start.Second, TimeSpan.Zero);
        // Four events in the window's first seconds, then one an hour later: at 60× that hour takes a minute.
        var window = new[] { 1, 2, 3, 4, 3600 }.Select(s => new NewEvent(EventTypes.Audit, new { at = s }, AgentId: agent, Timestamp: start.AddSeconds(s))).ToArray();
        var outside = new NewEvent(EventTypes.Audit, new { at = "after" }, AgentId: agent, Timestamp: start.AddHours(2));
        var emitted = await s_system.EmitAsync([.. window, outside]);

        string Address(string speed) => $"/replay?from={Uri.EscapeDataString(start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture))}" +
            $"&to={Uri.EscapeDataString(start.AddHours(1).AddMinutes(1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture))}&agentId={agent}&speed={speed}";

        var fast = await s_system.OpenAsync(Address("max"), user: DevUsers.Viewer);
        var status = fast.Locator("[data-testid=replay-status]");
        await Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = Visible.Timeout });
        var rows = fast.Locator("[data-testid=replay-feed] button.event-row");
        await Expect(rows).ToHaveCountAsync(5);
        CollectionAssert.AreEqual(emitted.Take(5).Select(e => e.Id).Reverse().ToArray(),
            await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)"), "the window's events, newest first, none after it");
        await Expect(fast.Locator("[data-testid=rate-chart]")).ToBeVisibleAsync();

        var paced = await s_system.OpenAsync(Address("60"), user: DevUsers.Viewer);
        var pacedRows = paced.Locator("[data-testid=replay-feed] button.event-row");
        await Expect(pacedRows).ToHaveCountAsync(4, new() { Timeout = Visible.Timeout });
        await paced.Locator("[data-testid=replay-pause]").ClickAsync();
        await Expect(paced.Locator("[data-testid=replay-status]")).ToHaveAttributeAsync("data-state", "paused");
        await paced.Locator("[data-testid=replay-speed-max]").ClickAsync();
        Assert.AreEqual(4, await pacedRows.CountAsync(), "paused: nothing more is shown");
        await paced.Locator("[data-testid=replay-pause]").ClickAsync();
        await Expect(pacedRows).ToHaveCountAsync(5, new() { Timeout = Visible.Timeout });
        await Expect(paced.Locator("[data-testid=replay-status]")).ToHaveAttributeAsync("data-state", "done");
    }

    /// <summary>RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    private static List<List<string>> CsvRecords(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else
            {
                field.Append(c);
            }
        }

        return records;
    }
}
