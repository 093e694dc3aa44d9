using Kavach.Dashboard.Services.Demo;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// The pictures in README and docs/console.md, taken from the running system after real traffic: the provider's sign-in
/// form, the alerts and one alert's history, a search in history, time travel and the Respond page. Each is taken
/// once its page shows what the picture is of; they are written beside the test output (<c>screenshots/</c>), to copy
/// over <c>docs/images/</c> when the pages change.
/// </summary>
[TestClass]
public sealed class ConsoleScreenshotTests
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = (float)ConsoleSystem.UiTimeout.TotalMilliseconds };
    private static ConsoleSystem s_system = default!;

    public TestContext TestContext { get; set; } = default!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context) => s_system = await ConsoleSystem.StartAsync(context.CancellationToken);

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_system is not null)
        {
            await s_system.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task TheShiftPagesScreenshotsAreSaved()
    {
        var signIn = await s_system.OpenSignedOutAsync("/");
        await signIn.GetByRole(AriaRole.Link, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(signIn.Locator("#username")).ToBeVisibleAsync(Visible);
        await SaveAsync(signIn, "signin.png");
        await s_system.CloseOpenPagesAsync();

        var random = new Random(7);
        var story = DemoScenario.Story(5, random);
        await s_system.EmitAsync([.. story]);
        var agent = story[0].AgentId!;

        var alerts = await s_system.OpenAsync("/alerts?state=all", user: DevUsers.Responder);
        var row = alerts.Locator($"[data-testid=alerts-table] tr[data-alert-id]").First;
        await Expect(row).ToBeVisibleAsync(Visible);
        await SaveAsync(alerts, "alerts.png");

        await row.Locator("a").First.ClickAsync();
        await Expect(alerts.GetByTestId("alert-facts")).ToBeVisibleAsync(Visible);
        await SaveAsync(alerts, "alert.png");

        var history = await s_system.OpenAsync($"/history?agentId={Uri.EscapeDataString(agent)}&q=invoice", user: DevUsers.Viewer);
        await Expect(history.GetByTestId("history-list").Locator("[role=listitem]").First).ToBeVisibleAsync(Visible);
        await SaveAsync(history, "history-search.png");

        var respond = await s_system.OpenAsync("/respond", user: DevUsers.Responder);
        await respond.GetByTestId("respond-target").SelectOptionAsync("Agent");
        await Expect(respond.GetByTestId("respond-target")).ToHaveValueAsync("Agent");
        await respond.GetByTestId("respond-value").FillAsync(agent);
        await respond.GetByTestId("respond-reason").FillAsync("Spent past its budget and flagged anomalous: INC-4711");
        await respond.GetByTestId("respond-review").ClickAsync();
        await Expect(respond.GetByTestId("respond-confirm")).ToContainTextAsync("agent.revoked");
        await SaveAsync(respond, "respond.png");
        await s_system.CloseOpenPagesAsync();
    }

    private async Task SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "screenshots", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        Assert.IsGreaterThan(10_000, new FileInfo(path).Length, path);
        TestContext.WriteLine($"Screenshot: {path}");
    }
}
