using System.Net;
using System.Net.Http.Json;
using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// Sign-in through the development OpenID Connect provider the AppHost starts, in real headless Chromium: who is
/// signed in and their role show; a viewer neither sees nor can do an admin's actions; password guessing is
/// throttled; removing a user or changing their role ends their open session; and the sign-in's redirects cannot be
/// turned against the user.
/// </summary>
[TestClass]
public sealed class ConsoleSignInTests
{
    private static readonly TimeSpan SessionEnds = TimeSpan.FromSeconds(20);
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
    public async Task SigningInThroughTheProviderShowsThePersonAndTheirRole()
    {
        var page = await s_system.OpenSignedOutAsync("/history");
        Assert.IsTrue(ConsoleSystem.IsSignInPage(page), $"without a session the console asks for sign-in, not {page.Url}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Kavach development identity" })).ToBeVisibleAsync();

        await page.Locator("#username").FillAsync(DevUsers.Responder);
        await page.Locator("#password").FillAsync(KavachSystem.DevUsersPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByTestId("signed-in-name")).ToHaveTextAsync("Bob");
        await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync(ConsoleRoles.Responder);
        Assert.AreEqual("/history", new Uri(page.Url).AbsolutePath, "back where the sign-in started");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByText("You are signed out.")).ToBeVisibleAsync();
        await page.GotoAsync("/history");
        Assert.IsTrue(ConsoleSystem.IsSignInPage(page), "signed out means signed out");
    }

    [TestMethod]
    public async Task AViewerSeesNoAdminActionsAndTheServerRefusesThem()
    {
        var id = await CreateWebhookAsync();
        try
        {
            var page = await s_system.OpenAsync("/destinations", user: DevUsers.Viewer);
            await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync(ConsoleRoles.Viewer);
            var row = page.Locator($"tr[data-id='{id}']");
            await Expect(row.GetByTestId("admin-only")).ToBeVisibleAsync();
            await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToHaveCountAsync(0);

            // Never trust the page: the console's own endpoint refuses a viewer's pause and takes an admin's.
            using var viewer = await ConsoleSignIn.SignedInClientAsync(DevUsers.Viewer);
            using (var refused = await PauseAsync(viewer, id))
            {
                Assert.AreEqual(HttpStatusCode.Forbidden, refused.StatusCode, await refused.Content.ReadAsStringAsync());
            }

            using (var taken = await PauseAsync(s_system.Console, id))
            {
                Assert.AreEqual(HttpStatusCode.OK, taken.StatusCode, await taken.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            using var admin = StreamApiAdmin();
            using var deleted = await admin.DeleteAsync($"{KavachRoutes.Webhooks}/{id}");
        }
    }

    [TestMethod]
    public async Task GuessingPasswordsIsThrottledPerAddress()
    {
        // Every test signs in from this same address: the bucket is full again only a window after the last of them.
        await Task.Delay(KavachSystem.DevSignInWindow);
        using var client = ConsoleSignIn.NewClient(out _);
        var statuses = new List<HttpStatusCode>();
        // The bucket holds PerAddress attempts and gets one back every Window / PerAddress: a burst of twice PerAddress
        // must run into it, even if a token comes back while it runs.
        for (var i = 0; i < 2 * KavachSystem.DevSignInPerAddress; i++)
        {
            var (status, page) = await ConsoleSignIn.SignInAsyncOnce(client, DevUsers.Admin, $"guess-{i}");
            statuses.Add(status);
            if (status == HttpStatusCode.TooManyRequests)
            {
                StringAssert.Contains(page, "Too many sign-in attempts from your address");
                break;
            }

            StringAssert.Contains(page, "That user name or password is not right.");
        }

        Assert.AreEqual(HttpStatusCode.TooManyRequests, statuses[^1], $"attempts answered {string.Join(", ", statuses)}");
        // A window after the last sign-in from this address the bucket is full: at least PerAddress guesses were answered.
        Assert.IsGreaterThan(KavachSystem.DevSignInPerAddress, statuses.Count, $"attempts answered {string.Join(", ", statuses)}");

        // The wait ends with the window: the right password then goes through (and the next tests' sign-ins with it).
        using var signedIn = await ConsoleSignIn.SignedInClientAsync(DevUsers.Admin);
    }

    [TestMethod]
    public async Task RemovingAUserEndsTheirOpenSession()
    {
        var user = ConsoleSystem.UniqueId("dave");
        DevIdentityUsers.Set(user, "Dave", ConsoleRoles.Viewer);
        var page = await s_system.OpenAsync("/", user: user);
        await Expect(page.GetByTestId("signed-in-name")).ToHaveTextAsync("Dave");

        DevIdentityUsers.Remove(user);

        // The open page (a circuit, which sends no requests) is signed out within a check or two.
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == ConsoleAccess.LoginPath, new() { Timeout = (float)SessionEnds.TotalMilliseconds });
        await page.GotoAsync("/");
        Assert.IsTrue(ConsoleSystem.IsSignInPage(page), "the session's cookie is no good any more either");
        using var again = ConsoleSignIn.NewClient(out _);
        var (_, answer) = await ConsoleSignIn.SignInAsync(again, user, KavachSystem.DevUsersPassword);
        StringAssert.Contains(answer, "That user name or password is not right.", "a removed user cannot sign in again");
    }

    [TestMethod]
    public async Task ChangingAUsersRoleEndsTheirSession()
    {
        var user = ConsoleSystem.UniqueId("erin");
        DevIdentityUsers.Set(user, "Erin", ConsoleRoles.Viewer);
        try
        {
            var page = await s_system.OpenAsync("/", user: user);
            await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync(ConsoleRoles.Viewer);
            // A session over plain HTTP too: its next request after the change finds it ended.
            using var client = await ConsoleSignIn.SignedInClientAsync(user);

            DevIdentityUsers.Set(user, "Erin", ConsoleRoles.Responder);

            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == ConsoleAccess.LoginPath, new() { Timeout = (float)SessionEnds.TotalMilliseconds });
            // Signing in again (the provider's own session may answer without the form) gives a session with the new role.
            await ConsoleSystem.SignInAsync(page, user);
            await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync(ConsoleRoles.Responder);

            using var deadline = new CancellationTokenSource(SessionEnds);
            while (true)
            {
                using var feed = await client.GetAsync("/api/console/feed", deadline.Token);
                if (feed.StatusCode == HttpStatusCode.Unauthorized)
                {
                    break;
                }

                Assert.AreEqual(HttpStatusCode.OK, feed.StatusCode);
                await Task.Delay(250, deadline.Token);
            }
        }
        finally
        {
            DevIdentityUsers.Remove(user);
        }
    }

    [TestMethod]
    [DataRow("https://evil.example/")]
    [DataRow("//evil.example/")]
    [DataRow("/\\evil.example/")]
    public async Task TheReturnAddressCannotLeaveTheConsole(string returnUrl)
    {
        using var client = ConsoleSignIn.NewClient(out _);
        using var form = await client.GetAsync($"/signin?returnUrl={Uri.EscapeDataString(returnUrl)}");
        var formPage = await form.Content.ReadAsStringAsync();
        using var posted = await client.PostAsync(new Uri(form.RequestMessage!.RequestUri!, "/account/login"), new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", ConsoleSignIn.FieldIn(formPage, "__RequestVerificationToken")),
            new("returnUrl", WebUtility.HtmlDecode(ConsoleSignIn.FieldIn(formPage, "returnUrl"))),
            new("username", DevUsers.Viewer),
            new("password", KavachSystem.DevUsersPassword),
        ]));
        var landed = posted.RequestMessage!.RequestUri!;
        Assert.AreEqual(KavachSystem.App.GetEndpoint("console", "http").Authority, landed.Authority, $"landed on {landed}");
        Assert.AreEqual("/", landed.AbsolutePath);

        // The provider's own form does not bounce anywhere either.
        using var provider = await client.GetAsync(new Uri(form.RequestMessage!.RequestUri!, $"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}"));
        Assert.AreEqual("/", WebUtility.HtmlDecode(ConsoleSignIn.FieldIn(await provider.Content.ReadAsStringAsync(), "returnUrl")));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("?code=forged")]
    [DataRow("?code=forged&state=forged")]
    [DataRow("?id_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImFkbWluIl19.&state=forged")]
    public async Task ACallbackWithoutTheSignInsOwnStateOpensNoSession(string query)
    {
        using var client = ConsoleSignIn.NewClient(out var cookies);
        using var answer = await client.GetAsync($"/signin-oidc{query}");
        Assert.AreEqual(ConsoleAccess.LoginPath, answer.RequestMessage!.RequestUri!.AbsolutePath, "a failed callback ends at the sign-in page");
        Assert.IsFalse(cookies.GetAllCookies().Any(c => c.Name.StartsWith(ConsoleAccess.CookieName, StringComparison.Ordinal)), "no session cookie");
        using var page = await client.GetAsync("/api/console/feed");
        Assert.AreEqual(HttpStatusCode.Unauthorized, page.StatusCode);
    }

    [TestMethod]
    public async Task TheSignInsCodeAndSessionAreInNoLogOrTrace()
    {
        // Follow the sign-in's redirects by hand, to see the authorization code on its way to the console.
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
        {
            BaseAddress = KavachSystem.App.GetEndpoint("console", "http"),
        };
        var (formAddress, formPage) = await FollowAsync(client, new HttpRequestMessage(HttpMethod.Get, "/signin?returnUrl=%2F"));
        var (landed, _) = await FollowAsync(client, new HttpRequestMessage(HttpMethod.Post, new Uri(formAddress, "/account/login"))
        {
            Content = new FormUrlEncodedContent(
            [
                new("__RequestVerificationToken", ConsoleSignIn.FieldIn(formPage, "__RequestVerificationToken")),
                new("returnUrl", WebUtility.HtmlDecode(ConsoleSignIn.FieldIn(formPage, "returnUrl"))),
                new("username", DevUsers.Viewer),
                new("password", KavachSystem.DevUsersPassword),
            ]),
        });
        Assert.AreEqual("/", landed.AbsolutePath);
        Assert.IsNotNull(s_lastCode, "the provider sent a code to the console");
        var session = cookies.GetAllCookies().Where(c => c.Name.StartsWith(ConsoleAccess.CookieName, StringComparison.Ordinal)).ToList();
        Assert.IsNotEmpty(session, "signed in");

        foreach (var resource in new[] { "console", "identity" })
        {
            var logs = await ResourceLogs.ReadAsync(resource, TimeSpan.FromSeconds(3));
            Assert.IsGreaterThan(0, logs.Length, $"{resource} logged nothing at all: the check would prove nothing");
            Assert.IsFalse(logs.Contains(s_lastCode, StringComparison.Ordinal), $"{resource} logged the authorization code");
            Assert.IsFalse(logs.Contains(KavachSystem.DevUsersPassword, StringComparison.Ordinal), $"{resource} logged the password");
            foreach (var cookie in session)
            {
                Assert.IsFalse(logs.Contains(cookie.Value[..Math.Min(cookie.Value.Length, 64)], StringComparison.Ordinal), $"{resource} logged the session cookie");
            }
        }
    }

    private static string? s_lastCode;

    /// <summary>Sends, then follows redirects itself; remembers a <c>code</c> seen in a Location. The last address and body.</summary>
    private static async Task<(Uri Address, string Page)> FollowAsync(HttpClient client, HttpRequestMessage request)
    {
        for (var hops = 0; hops < 10; hops++)
        {
            using var response = await client.SendAsync(request);
            request.Dispose();
            if ((int)response.StatusCode is < 300 or > 399)
            {
                return (response.RequestMessage!.RequestUri!, await response.Content.ReadAsStringAsync());
            }

            var next = new Uri(response.RequestMessage!.RequestUri!, response.Headers.Location!);
            if (System.Web.HttpUtility.ParseQueryString(next.Query)["code"] is { } code)
            {
                s_lastCode = code;
            }

            request = new HttpRequestMessage(HttpMethod.Get, next);
        }

        throw new AssertFailedException("more than 10 redirects");
    }

    private static Task<HttpResponseMessage> PauseAsync(HttpClient console, Guid id) =>
        console.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/console/destinations/{id}/pause")
        {
            Headers = { { RequireConsoleHeader.HeaderName, "1" } },
            Content = JsonContent.Create(new { reason = "sign-in test" }),
        });

    private static HttpClient StreamApiAdmin()
    {
        var admin = new HttpClient { BaseAddress = KavachSystem.StreamApiReplicas[0] };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Support.Tokens.Admin("console-sign-in"));
        return admin;
    }

    private static async Task<Guid> CreateWebhookAsync()
    {
        using var admin = StreamApiAdmin();
        using var answer = await admin.PostAsJsonAsync(KavachRoutes.Webhooks,
            new WebhookRequest(Url: $"http://127.0.0.1:9{ConsoleSystem.UniqueId("/hooks/sign-in")}", Description: null), KavachJson.Options);
        Assert.AreEqual(HttpStatusCode.Created, answer.StatusCode, await answer.Content.ReadAsStringAsync());
        return (await answer.Content.ReadFromJsonAsync<WebhookCreated>(KavachJson.Options))!.Webhook.Id;
    }
}
