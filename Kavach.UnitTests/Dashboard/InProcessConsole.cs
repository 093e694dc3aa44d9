using System.Text.RegularExpressions;
using Kavach.Dashboard.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// The console hosted in this test process, its upstream pointing nowhere (the tests that use it are about access),
/// and its sign-in form filled in as a browser would.
/// </summary>
internal static partial class InProcessConsole
{
    public const string AccessKey = "a-console-access-key-for-tests";

    public static WebApplicationFactory<StreamApiClient> Start(bool? requireSignIn, string environment = "Development", string? accessKey = AccessKey,
        IReadOnlyDictionary<string, string>? settings = null) =>
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

            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                host.UseSetting(key, value);
            }
        });

    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string key, string? returnUrl = null)
    {
        var form = await client.GetStringAsync("/login");
        return await client.PostAsync("/login" + (returnUrl is null ? "" : $"?ReturnUrl={Uri.EscapeDataString(returnUrl)}"), new FormUrlEncodedContent(
        [
            new("_handler", "login"),
            new("__RequestVerificationToken", AntiforgeryTokenIn(form)),
            new("Input.AccessKey", key),
        ]));
    }

    /// <summary>The antiforgery token a page's form carries.</summary>
    public static string AntiforgeryTokenIn(string page) => AntiforgeryField().Match(page).Groups[1].Value;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
