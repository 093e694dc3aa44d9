using System.Net;
using Kavach.Dashboard;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// Sign-in, with the console hosted in-process (its upstream points nowhere; these tests are about access only).
/// Outside Development sign-in is on by default; here it is switched on explicitly, because an unpublished app
/// outside Development has no Blazor script to serve.
/// </summary>
[TestClass]
public sealed class ConsoleAccessTests
{
    [TestMethod]
    public async Task WithoutASessionEveryPageRedirectsToSignInButHealthStaysOpen()
    {
        await using var factory = InProcessConsole.Start(requireSignIn: true);
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        foreach (var path in new[] { "/", "/history", "/agents/a1", "/destinations" })
        {
            using var response = await client.GetAsync(path);
            Assert.AreEqual(HttpStatusCode.Redirect, response.StatusCode, path);
            StringAssert.StartsWith(response.Headers.Location!.PathAndQuery, "/login?ReturnUrl=", path);
        }

        // ASP.NET Core 10 answers API endpoints with 401 rather than a redirect to a form.
        foreach (var path in new[] { "/api/console/feed", "/api/console/destinations", "/history/export?format=csv", "/_blazor/negotiate?negotiateVersion=1" })
        {
            using var response = path.StartsWith("/_blazor", StringComparison.Ordinal)
                ? await client.PostAsync(path, null)
                : await client.GetAsync(path);
            Assert.IsTrue(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, $"{path}: {response.StatusCode}");
        }

        // The destinations' actions need a session even with the console's header.
        using (var pause = new HttpRequestMessage(HttpMethod.Post, $"/api/console/destinations/{Guid.NewGuid()}/pause")
        {
            Headers = { { Kavach.Dashboard.Access.RequireConsoleHeader.HeaderName, "1" } },
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        })
        using (var refused = await client.SendAsync(pause))
        {
            Assert.IsTrue(refused.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, $"pause: {refused.StatusCode}");
        }

        using var health = await client.GetAsync("/alive");
        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
    }

    [TestMethod]
    public async Task TheRightAccessKeyOpensASessionAndAWrongOneDoesNot()
    {
        await using var factory = InProcessConsole.Start(requireSignIn: true);
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        using (var wrong = await InProcessConsole.SignInAsync(client, "not-the-key"))
        {
            Assert.AreEqual(HttpStatusCode.OK, wrong.StatusCode);
            StringAssert.Contains(await wrong.Content.ReadAsStringAsync(), "That access key is not right.");
        }

        using (var right = await InProcessConsole.SignInAsync(client, InProcessConsole.AccessKey, returnUrl: "/history"))
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
        await using var factory = InProcessConsole.Start(requireSignIn: null);
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
        var error = StartupFailure("Development", new() { ["Console:AccessKey"] = InProcessConsole.AccessKey });
        StringAssert.Contains(error, "StreamApi:ClientId");
        StringAssert.Contains(error, "StreamApi:Token");
    }

    private static string StartupFailure(string environment, Dictionary<string, string?> settings)
    {
        settings["StreamApi:BaseAddress"] = "http://127.0.0.1:9";
        settings["StreamApi:EnableDemoTraffic"] = "false";
        return StartupValidation.Failure(environment, settings, builder => builder.AddDashboardServices());
    }
}
