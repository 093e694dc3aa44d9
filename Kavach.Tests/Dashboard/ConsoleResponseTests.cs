using Kavach.Contracts;
using Kavach.Dashboard.Services.Events;
using Kavach.ServiceDefaults.Auth;
using Kavach.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// Response from the console in real headless Chromium: a responder revokes a subject with a reason, the subject's open
/// stream (opened here through the API) ends with <c>TOKEN_REVOKED</c>, and the audit event naming the responder shows in
/// the live feed. A viewer is not offered the action.
/// </summary>
[TestClass]
public sealed class ConsoleResponseTests
{
    private static readonly LocatorAssertionsToContainTextOptions Shown = new() { Timeout = (float)ConsoleSystem.UiTimeout.TotalMilliseconds };
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

    [TestMethod]
    public async Task AResponderRevokesASubjectWhoseStreamEndsAndTheRevocationIsRecordedNamingThem()
    {
        var subject = ConsoleSystem.UniqueId("suspect");
        var token = KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Read], TimeSpan.FromHours(1));
        await using var stream = await SseClient.ConnectAsync(KavachSystem.StreamApiReplicas[0], token);
        await stream.NextAsync();

        var page = await s_system.OpenAsync("/respond", user: DevUsers.Responder);
        await page.Locator("[data-testid=respond-target]").SelectOptionAsync("Subject");
        await page.Locator("[data-testid=respond-value]").FillAsync(subject);
        await page.Locator("[data-testid=respond-reason]").FillAsync("credential phished");
        await page.Locator("[data-testid=respond-review]").ClickAsync();

        var confirm = page.Locator("[data-testid=respond-confirm]");
        await Expect(confirm).ToContainTextAsync(subject, Shown);
        await Expect(confirm).ToContainTextAsync("credential phished");
        var who = await page.Locator("[data-testid=respond-who]").InnerTextAsync();
        Assert.AreEqual(DevUsers.Responder, who, "the revocation is made on behalf of the signed-in person");

        await page.Locator("[data-testid=respond-confirm-button]").ClickAsync();
        var result = page.Locator("[data-testid=respond-result]");
        await Expect(result).ToContainTextAsync(subject, Shown);
        var sequence = await result.GetAttributeAsync("data-sequence");

        var end = (await stream.ReadToEndAsync(TimeSpan.FromSeconds(30))).Last();
        Assert.AreEqual("TOKEN_REVOKED", end.Json.GetProperty("code").GetString());

        var live = await s_system.OpenAsync("/", user: DevUsers.Responder);
        var record = live.Locator($"button.event-row[data-type={EventTypes.Audit}][data-seq='{sequence}']");
        await Expect(record).ToContainTextAsync(subject, Shown);
        await Expect(record).ToContainTextAsync($"by {who}");
        await Expect(record).ToContainTextAsync("credential phished");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "kavach-console-respond.png") });
    }

    [TestMethod]
    public async Task AViewerIsNotOfferedTheRespondAction()
    {
        var page = await s_system.OpenAsync("/", user: DevUsers.Viewer);
        await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync("viewer");
        await Expect(page.Locator("[data-testid=nav-respond]")).ToHaveCountAsync(0);
        await page.GotoAsync("/respond");
        await Expect(page.Locator("[data-testid=respond-form]")).ToHaveCountAsync(0);
    }
}
