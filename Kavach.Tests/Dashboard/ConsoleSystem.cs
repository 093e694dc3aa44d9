using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Kavach.Client;
using Kavach.Contracts;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Events;
using Kavach.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// What the console's browser tests share: one headless Chromium (Debian's, launched by Playwright's bundled
/// driver) and an emitter that posts events to the real stream API with an <c>events:emit</c> token.
/// </summary>
internal sealed class ConsoleSystem : IAsyncDisposable
{
    public static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(20);

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;
    private readonly List<IBrowserContext> _contexts = [];

    /// <summary>Each user's cookies after a sign-in, so that each test does not pay for one (a stale one signs in again).</summary>
    private readonly Dictionary<string, string> _storageStates = new(StringComparer.Ordinal);

    private ConsoleSystem(IPlaywright playwright, IBrowser browser, HttpClient api, HttpClient console, Uri consoleAddress)
    {
        _playwright = playwright;
        Browser = browser;
        Api = api;
        Console = console;
        ConsoleAddress = consoleAddress;
    }

    public IBrowser Browser { get; }

    /// <summary>The stream API (through the AppHost's endpoint, which spreads over both replicas), with an emit token.</summary>
    public HttpClient Api { get; }

    /// <summary>The console over plain HTTP, signed in as the admin.</summary>
    public HttpClient Console { get; }

    public Uri ConsoleAddress { get; }

    public static async Task<ConsoleSystem> StartAsync(CancellationToken cancellationToken)
    {
        var app = KavachSystem.App;
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var signingKey = await model.Resources.OfType<ParameterResource>().Single(p => p.Name == "kavach-signing-key")
            .GetValueAsync(cancellationToken) ?? throw new InvalidOperationException("No signing key.");

        var api = app.CreateHttpClient("streamapi");
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            KavachTokens.Issue(signingKey, "console-e2e-tests", [KavachScopes.Emit, KavachScopes.Read], TimeSpan.FromHours(2)));

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });

        var console = await ConsoleSignIn.SignedInClientAsync(DevUsers.Admin).WaitAsync(cancellationToken);
        return new ConsoleSystem(playwright, browser, api, console, app.GetEndpoint("console", "http"));
    }

    /// <summary>
    /// A fresh page at <paramref name="width"/>×<paramref name="height"/> on <paramref name="path"/>, signed in as the
    /// development user <paramref name="user"/> through the provider's login form (once per user; later pages reuse
    /// that user's cookies), once the Blazor circuit is interactive.
    /// </summary>
    public async Task<IPage> OpenAsync(string path = "/", int width = 1280, int height = 800, string user = DevUsers.Admin)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = ConsoleAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            StorageState = _storageStates.GetValueOrDefault(user),
        });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)UiTimeout.TotalMilliseconds);
        await page.GotoAsync(path);
        if (IsSignInPage(page))
        {
            await SignInAsync(page, user);
            _storageStates[user] = await context.StorageStateAsync();
        }

        await Assertions.Expect(page.Locator("main[data-interactive=true]")).ToBeAttachedAsync(new() { Timeout = (float)UiTimeout.TotalMilliseconds });
        return page;
    }

    /// <summary>A fresh page of a browser that has never signed in (no cached cookies).</summary>
    public async Task<IPage> OpenSignedOutAsync(string path = "/")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = ConsoleAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)UiTimeout.TotalMilliseconds);
        await page.GotoAsync(path);
        return page;
    }

    public static bool IsSignInPage(IPage page) => new Uri(page.Url).AbsolutePath is "/login";

    /// <summary>
    /// From the console's sign-in page through the provider's login form back to the console. A throttled attempt
    /// (the provider's per-address limit, which a test exhausts on purpose) is tried again after its wait.
    /// </summary>
    public static async Task SignInAsync(IPage page, string user, string password = KavachSystem.DevUsersPassword)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in", Exact = true }).ClickAsync();
        // The provider may still have a session of its own for this browser (single sign-on): then no form is shown.
        await Assertions.Expect(page.Locator("#username, [data-testid=signed-in-user]").First).ToBeVisibleAsync();
        for (var attempt = 0; await page.Locator("#username").IsVisibleAsync(); attempt++)
        {
            await page.Locator("#username").FillAsync(user);
            await page.Locator("#password").FillAsync(password);
            var answer = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
                response => response.Request.Method == "POST" && response.Url.Contains("/account/login", StringComparison.Ordinal));
            if (answer.Status != 429 || attempt >= 5)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(int.Parse(await answer.HeaderValueAsync("retry-after") ?? "1", System.Globalization.CultureInfo.InvariantCulture)));
        }

        await Assertions.Expect(page.GetByTestId("signed-in-user")).ToBeVisibleAsync();
    }

    /// <summary>
    /// Closes the pages opened so far. Each open live page is a Blazor circuit that re-renders on every feed change;
    /// left open, they add up over the class and load the machine for the tests that follow.
    /// </summary>
    public async Task CloseOpenPagesAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        _contexts.Clear();
    }

    public async Task<IReadOnlyList<EmittedEvent>> EmitAsync(params NewEvent[] events)
    {
        using var response = await Api.PostAsJsonAsync("/api/kavach/events", events, KavachJson.Options).WaitAsync(UiTimeout);
        var body = await response.Content.ReadAsStringAsync();
        Assert.IsTrue(response.IsSuccessStatusCode, $"emit answered {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<EmitAnswer>(body, KavachJson.Options)!.Events;
    }

    public async Task<JsonElement> FeedStatusAsync()
    {
        var json = await Console.GetStringAsync("/api/console/feed").WaitAsync(UiTimeout);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
        Api.Dispose();
        Console.Dispose();
    }
}
