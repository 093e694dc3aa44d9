using System.Net;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Services.Demo;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// What another web site can make an operator's browser do to the console: post a form to any of its POST endpoints.
/// Each refuses such a post — the scripted endpoints without their header, sign-out without its antiforgery token —
/// and sign-in attempts from one address are limited.
/// </summary>
[TestClass]
public sealed class ConsoleForgeryTests
{
    [TestMethod]
    [DataRow("/api/demo/traffic")]
    [DataRow("/api/console/upstream/drop")]
    [DataRow("/api/console/destinations/6f1c1f5e-0d7e-4a57-9b1e-0c7d2b1e9a10/pause")]
    [DataRow("/api/console/destinations/6f1c1f5e-0d7e-4a57-9b1e-0c7d2b1e9a10/resume")]
    [DataRow("/api/console/destinations/6f1c1f5e-0d7e-4a57-9b1e-0c7d2b1e9a10/redeliver")]
    public async Task ACrossSiteFormPostToAScriptedEndpointIsRefused(string path)
    {
        await using var factory = InProcessConsole.Start(requireSignIn: null, settings: new Dictionary<string, string> { ["StreamApi:EnableDemoTraffic"] = "true" });
        using var client = factory.CreateClient();

        using var forged = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent([new("seconds", "3600")]),
            Headers = { { "Origin", "https://evil.example" }, { "Sec-Fetch-Site", "cross-site" } },
        };
        using var refused = await client.SendAsync(forged);
        Assert.AreEqual(HttpStatusCode.Forbidden, refused.StatusCode);
        StringAssert.Contains(await refused.Content.ReadAsStringAsync(), RequireConsoleHeader.HeaderName);
        Assert.IsFalse(factory.Services.GetRequiredService<DemoTrafficGenerator>().IsRunning);
    }

    [TestMethod]
    public async Task AScriptedPostWithTheConsoleHeaderIsTaken()
    {
        await using var factory = InProcessConsole.Start(requireSignIn: null, settings: new Dictionary<string, string> { ["StreamApi:EnableDemoTraffic"] = "true" });
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/console/upstream/drop") { Headers = { { RequireConsoleHeader.HeaderName, "1" } } };
        using var taken = await client.SendAsync(request);
        Assert.AreEqual(HttpStatusCode.Accepted, taken.StatusCode);
    }

    [TestMethod]
    public async Task SigningOutTakesTheConsolesOwnForm()
    {
        await using var factory = InProcessConsole.Start(requireSignIn: true);
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        (await InProcessConsole.SignInAsync(client, InProcessConsole.AccessKey)).Dispose();

        using (var forged = await client.PostAsync("/logout", new FormUrlEncodedContent([])))
        {
            Assert.AreEqual(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        using (var stillIn = await client.GetAsync("/history"))
        {
            Assert.AreEqual(HttpStatusCode.OK, stillIn.StatusCode, "a forged sign-out must not end the session");
            var token = InProcessConsole.AntiforgeryTokenIn(await stillIn.Content.ReadAsStringAsync());
            Assert.IsFalse(string.IsNullOrEmpty(token), "the sign-out form carries an antiforgery token");
            using var signOut = await client.PostAsync("/logout", new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));
            Assert.AreEqual(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        using var afterwards = await client.GetAsync("/history");
        Assert.AreEqual(HttpStatusCode.Redirect, afterwards.StatusCode, "signed out");
    }

    [TestMethod]
    public async Task SignInAttemptsFromOneAddressAreLimited()
    {
        await using var factory = InProcessConsole.Start(requireSignIn: true,
            settings: new Dictionary<string, string> { ["Kavach:Limits:SignIn:PerAddress"] = "3" });
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await InProcessConsole.SignInAsync(client, $"guess-{i}");
            Assert.AreEqual(HttpStatusCode.OK, wrong.StatusCode);
        }

        // Past the limit even the right key waits: the limit is on attempts, before the key is compared.
        using var refused = await InProcessConsole.SignInAsync(client, InProcessConsole.AccessKey);
        Assert.AreEqual(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.AreEqual(TimeSpan.FromSeconds(20), refused.Headers.RetryAfter?.Delta);
        StringAssert.Contains(await refused.Content.ReadAsStringAsync(), "Kavach:Limits:SignIn:PerAddress");
    }

    [TestMethod]
    public void ABadSignInLimitStopsTheStartNamingTheKey()
    {
        var error = Support.StartupValidation.Failure("Development", new Dictionary<string, string?>
        {
            ["StreamApi:BaseAddress"] = "http://127.0.0.1:9",
            ["StreamApi:Token"] = "a-token",
            ["Kavach:Limits:SignIn:PerAddress"] = "-1",
        }, builder => Kavach.Dashboard.DashboardServices.AddDashboardServices(builder));
        StringAssert.Contains(error, "Kavach:Limits:SignIn:PerAddress");
    }
}
