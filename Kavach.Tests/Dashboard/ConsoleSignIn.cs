using System.Net;
using System.Text.RegularExpressions;

namespace Kavach.Tests.Dashboard;

/// <summary>
/// Signs in to the console the way a browser does, without one: the console's sign-in starts an OpenID Connect
/// authorization at the development provider, whose login form is filled in and posted; the redirects that follow end
/// at the console with its session cookie. For the tests that read the console over plain HTTP.
/// </summary>
internal static class ConsoleSignIn
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>An HttpClient on the console, signed in as <paramref name="user"/> (its cookies in its own container).</summary>
    public static async Task<HttpClient> SignedInClientAsync(string user = DevUsers.Admin, string? password = null)
    {
        var client = NewClient(out _);
        try
        {
            var (status, page) = await SignInAsync(client, user, password ?? KavachSystem.DevUsersPassword);
            Assert.AreEqual(HttpStatusCode.OK, status, $"signing in as {user} ended with {(int)status}: {page[..Math.Min(page.Length, 400)]}");
            Assert.IsTrue(page.Contains("data-testid=\"signed-in-user\"", StringComparison.Ordinal), $"signing in as {user} did not reach the console: {page[..Math.Min(page.Length, 400)]}");
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static HttpClient NewClient(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = true, MaxAutomaticRedirections = 10 })
        {
            BaseAddress = KavachSystem.App.GetEndpoint("console", "http"),
            Timeout = Timeout,
        };
    }

    /// <summary>
    /// From the console's sign-in through the provider's form: the last answer's status and body. A throttled attempt
    /// (429) is retried after its Retry-After, a few times.
    /// </summary>
    public static async Task<(HttpStatusCode Status, string Page)> SignInAsync(HttpClient console, string user, string password)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (status, page, retryAfter) = await AttemptAsync(console, user, password);
            if (status == HttpStatusCode.TooManyRequests && attempt < 5)
            {
                await Task.Delay(retryAfter ?? TimeSpan.FromSeconds(1));
                continue;
            }

            return (status, page);
        }
    }

    /// <summary>One attempt, throttled or not.</summary>
    public static async Task<(HttpStatusCode Status, string Page)> SignInAsyncOnce(HttpClient console, string user, string password)
    {
        var (status, page, _) = await AttemptAsync(console, user, password);
        return (status, page);
    }

    private static async Task<(HttpStatusCode Status, string Page, TimeSpan? RetryAfter)> AttemptAsync(HttpClient console, string user, string password)
    {
        using var form = await console.GetAsync("/signin?returnUrl=%2F");
        var formPage = await form.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, form.StatusCode, $"the provider's login form: {formPage[..Math.Min(formPage.Length, 400)]}");
        var loginAddress = form.RequestMessage!.RequestUri!;
        using var posted = await console.PostAsync(new Uri(loginAddress, "/account/login"), new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", FieldIn(formPage, "__RequestVerificationToken")),
            new("returnUrl", WebUtility.HtmlDecode(FieldIn(formPage, "returnUrl"))),
            new("username", user),
            new("password", password),
        ]));
        return (posted.StatusCode, await posted.Content.ReadAsStringAsync(), posted.Headers.RetryAfter?.Delta);
    }

    public static string FieldIn(string page, string name)
    {
        var match = Regex.Match(page, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"");
        Assert.IsTrue(match.Success, $"the page has no field {name}: {page[..Math.Min(page.Length, 400)]}");
        return match.Groups[1].Value;
    }
}
