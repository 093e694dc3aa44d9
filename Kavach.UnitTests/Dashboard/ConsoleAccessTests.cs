using System.Net;
using System.Text.RegularExpressions;
using Kavach.Dashboard;
using Kavach.Dashboard.Services;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// Sign-in, with the console hosted in-process (its upstream points nowhere; these tests are about access only).
/// Outside Development sign-in is on by default; here it is switched on explicitly, because an unpublished app
/// outside Development has no Blazor script to serve.
/// </summary>
[TestClass]
public sealed partial class ConsoleAccessTests
{
    private const string AccessKey = "a-console-access-key-for-tests";

    [TestMethod]
    public async Task WithoutASessionEveryPageRedirectsToSignInButHealthStaysOpen()
    {
        await using var factory = Console(requireSignIn: true);
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        foreach (var path in new[] { "/", "/history", "/agents/a1" })
        {
            using var response = await client.GetAsync(path);
            Assert.AreEqual(HttpStatusCode.Redirect, response.StatusCode, path);
            StringAssert.StartsWith(response.Headers.Location!.PathAndQuery, "/login?ReturnUrl=", path);
        }

        // ASP.NET Core 10 answers API endpoints with 401 rather than a redirect to a form.
        foreach (var path in new[] { "/api/console/feed", "/history/export?format=csv", "/_blazor/negotiate?negotiateVersion=1" })
        {
            using var response = path.StartsWith("/_blazor", StringComparison.Ordinal)
                ? await client.PostAsync(path, null)
                : await client.GetAsync(path);
            Assert.IsTrue(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, $"{path}: {response.StatusCode}");
        }

        using var health = await client.GetAsync("/alive");
        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
    }

    [TestMethod]
    public async Task TheRightAccessKeyOpensASessionAndAWrongOneDoesNot()
    {
        await using var factory = Console(requireSignIn: true);
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        using (var wrong = await SignInAsync(client, "not-the-key"))
        {
            Assert.AreEqual(HttpStatusCode.OK, wrong.StatusCode);
            StringAssert.Contains(await wrong.Content.ReadAsStringAsync(), "That access key is not right.");
        }

        using (var right = await SignInAsync(client, AccessKey, returnUrl: "/history"))
        {
            Assert.AreEqual(HttpStatusCode.Redirect, right.StatusCode);
            Assert.AreEqual("/history", new Uri(new Uri("http://localhost/"), right.Headers.Location!).PathAndQuery);
        }

        using var page = await client.GetAsync("/history");
        Assert.AreEqual(HttpStatusCode.OK, page.StatusCode);
        StringAssert.Contains(await page.Content.ReadAsStringAsync(), ">History</h1>");
    }

    [TestMethod]
    public async Task InDevelopmentTheConsoleIsOpen()
    {
        await using var factory = Console(requireSignIn: null);
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var response = await client.GetAsync("/history");
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [TestMethod]
    public void OutsideDevelopmentAMissingAccessKeyStopsTheStart()
    {
        var error = StartupFailure("Production", new() { ["StreamApi:ClientId"] = "kavach-console", ["StreamApi:ClientSecret"] = "a-client-secret" });
        StringAssert.Contains(error, "Console:AccessKey");
    }

    [TestMethod]
    public void WithoutClientCredentialsOrATokenTheConsoleRefusesToStartAndSaysWhichKeys()
    {
        var error = StartupFailure("Development", new() { ["Console:AccessKey"] = AccessKey });
        StringAssert.Contains(error, "StreamApi:ClientId");
        StringAssert.Contains(error, "StreamApi:Token");
    }

    private static string StartupFailure(string environment, Dictionary<string, string?> settings)
    {
        settings["StreamApi:BaseAddress"] = "http://127.0.0.1:9";
        settings["StreamApi:EnableDemoTraffic"] = "false";
        return StartupValidation.Failure(environment, settings, builder => builder.AddDashboardServices());
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string key, string? returnUrl = null)
    {
        var form = await client.GetStringAsync("/login");
        var token = AntiforgeryField().Match(form).Groups[1].Value;
        return await client.PostAsync("/login" + (returnUrl is null ? "" : $"?ReturnUrl={Uri.EscapeDataString(returnUrl)}"), new FormUrlEncodedContent(
        [
            new("_handler", "login"),
            new("__RequestVerificationToken", token),
            new("Input.AccessKey", key),
        ]));
    }

    private static WebApplicationFactory<StreamApiClient> Console(bool? requireSignIn, string environment = "Development", string? accessKey = AccessKey) =>
        new WebApplicationFactory<StreamApiClient>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment(environment);
            host.UseSetting("StreamApi:ClientId", "kavach-console");
            host.UseSetting("StreamApi:ClientSecret", "a-client-secret-long-enough-0123");

            host.UseSetting("StreamApi:BaseAddress", "http://127.0.0.1:9");
            host.UseSetting("StreamApi:EnableDemoTraffic", "false");
            if (accessKey is not null)
            {
                host.UseSetting("Console:AccessKey", accessKey);
            }

            if (requireSignIn is { } require)
            {
                host.UseSetting("Console:RequireSignIn", require ? "true" : "false");
            }
        });

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
