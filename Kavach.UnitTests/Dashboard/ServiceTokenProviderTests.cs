using System.Net;
using System.Text;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Upstream;
using Kavach.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// The console's side of client credentials, against a stand-in token endpoint that records what it was asked (the
/// API's real endpoint is exercised by the integration tests, which run the console against it).
/// </summary>
[TestClass]
public sealed class ServiceTokenProviderTests
{
    [TestMethod]
    public async Task ATokenIsReusedUntilEightyPercentOfItsLifetimeThenRenewed()
    {
        var time = new FixedTime(DateTimeOffset.UtcNow);
        var endpoint = new TokenEndpoint(expiresIn: 600);
        var tokens = Provider(new StreamApiOptions { ClientId = "kavach-console", ClientSecret = "secret" }, endpoint, time, out _);

        var start = time.Now;
        var first = await tokens.GetTokenAsync(CancellationToken.None);
        Assert.AreEqual(start + TimeSpan.FromMinutes(8), tokens.RenewsAt);

        time.Now += TimeSpan.FromMinutes(7);
        Assert.AreEqual(first, await tokens.GetTokenAsync(CancellationToken.None));
        Assert.AreEqual(1, endpoint.Requests.Count);

        time.Now += TimeSpan.FromMinutes(1.5);
        Assert.AreNotEqual(first, await tokens.GetTokenAsync(CancellationToken.None));
        Assert.AreEqual(2, endpoint.Requests.Count, "a new token was asked for");
        Assert.AreEqual(time.Now + TimeSpan.FromMinutes(8), tokens.RenewsAt);
    }

    [TestMethod]
    public async Task TheConsoleAsksForReadingAndForEmittingOnlyWithDemoTraffic()
    {
        var endpoint = new TokenEndpoint(expiresIn: 600);
        await Provider(new StreamApiOptions { ClientId = "c", ClientSecret = "s" }, endpoint, TimeProvider.System, out _)
            .GetTokenAsync(CancellationToken.None);
        await Provider(new StreamApiOptions { ClientId = "c", ClientSecret = "s", EnableDemoTraffic = true }, endpoint, TimeProvider.System, out var status)
            .GetTokenAsync(CancellationToken.None);

        StringAssert.Contains(endpoint.Requests[0], "grant_type=client_credentials");
        StringAssert.Contains(endpoint.Requests[0], "client_id=c");
        StringAssert.EndsWith(endpoint.Requests[0], "scope=events%3Aread");
        StringAssert.EndsWith(endpoint.Requests[1], "scope=events%3Aread+events%3Aemit");
        Assert.AreEqual("events:read events:emit", status.Current.Scopes, "the console shows what it was granted");
    }

    [TestMethod]
    public async Task TheAdminScopeIsAskedForInATokenOfItsOwnThatTheStreamNeverCarries()
    {
        var endpoint = new TokenEndpoint(expiresIn: 600);
        var tokens = Provider(new StreamApiOptions { ClientId = "c", ClientSecret = "s" }, endpoint, TimeProvider.System, out var status);

        var stream = await tokens.GetTokenAsync(CancellationToken.None);
        var admin = await tokens.GetAdminTokenAsync(CancellationToken.None);
        Assert.AreNotEqual(stream, admin);
        Assert.AreEqual(stream, await tokens.GetTokenAsync(CancellationToken.None), "each kept until renewal");
        Assert.AreEqual(admin, await tokens.GetAdminTokenAsync(CancellationToken.None));

        Assert.HasCount(2, endpoint.Requests);
        StringAssert.EndsWith(endpoint.Requests[0], "scope=events%3Aread");
        StringAssert.EndsWith(endpoint.Requests[1], "scope=events%3Aadmin");
        Assert.AreEqual("events:read", status.Current.Scopes, "the status bar shows the stream token's scopes");
    }

    [TestMethod]
    public async Task AlertWritesGetATokenOfTheirOwnWithAlertsWriteAlone()
    {
        var endpoint = new TokenEndpoint(expiresIn: 600);
        var tokens = Provider(new StreamApiOptions { ClientId = "c", ClientSecret = "s" }, endpoint, TimeProvider.System, out _);

        var stream = await tokens.GetTokenAsync(CancellationToken.None);
        var alerts = await tokens.GetAlertsTokenAsync(CancellationToken.None);
        Assert.AreNotEqual(stream, alerts);
        Assert.AreEqual(alerts, await tokens.GetAlertsTokenAsync(CancellationToken.None), "kept until renewal");
        Assert.HasCount(2, endpoint.Requests);
        StringAssert.EndsWith(endpoint.Requests[1], "scope=alerts%3Awrite");
    }

    [TestMethod]
    public async Task AClientNotRegisteredForAlertsIsToldWhatToRegister()
    {
        var endpoint = new TokenEndpoint(expiresIn: 600) { Status = HttpStatusCode.Forbidden };
        var tokens = Provider(new StreamApiOptions { ClientId = "kavach-console", ClientSecret = "s" }, endpoint, TimeProvider.System, out _);
        var error = await Assert.ThrowsExactlyAsync<HttpRequestException>(() => tokens.GetAlertsTokenAsync(CancellationToken.None).AsTask());
        StringAssert.Contains(error.Message, "alerts:write");
        StringAssert.Contains(error.Message, "raise and change alerts");
    }

    [TestMethod]
    public async Task AClientNotRegisteredForAdminIsToldWhatToRegister()
    {
        var endpoint = new TokenEndpoint(expiresIn: 600) { Status = HttpStatusCode.Forbidden };
        var tokens = Provider(new StreamApiOptions { ClientId = "kavach-console", ClientSecret = "s" }, endpoint, TimeProvider.System, out _);
        var error = await Assert.ThrowsExactlyAsync<HttpRequestException>(() => tokens.GetAdminTokenAsync(CancellationToken.None).AsTask());
        StringAssert.Contains(error.Message, "events:admin");
        StringAssert.Contains(error.Message, "Kavach:Auth:Clients");
    }

    [TestMethod]
    public async Task RefusedCredentialsSayWhichSettingsToCheck()
    {
        var endpoint = new TokenEndpoint(expiresIn: 600) { Status = HttpStatusCode.Unauthorized };
        var tokens = Provider(new StreamApiOptions { ClientId = "c", ClientSecret = "wrong" }, endpoint, TimeProvider.System, out _);
        var error = await Assert.ThrowsExactlyAsync<HttpRequestException>(() => tokens.GetTokenAsync(CancellationToken.None).AsTask());
        StringAssert.Contains(error.Message, "ClientSecret");
    }

    [TestMethod]
    public async Task AConfiguredTokenIsUsedAsItIs()
    {
        var endpoint = new TokenEndpoint(expiresIn: 600);
        var tokens = Provider(new StreamApiOptions { Token = "given-token" }, endpoint, TimeProvider.System, out _);
        Assert.AreEqual("given-token", await tokens.GetTokenAsync(CancellationToken.None));
        Assert.IsEmpty(endpoint.Requests);
    }

    private static ServiceTokenProvider Provider(StreamApiOptions api, TokenEndpoint endpoint, TimeProvider time, out UpstreamStatusBoard status)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(ServiceTokenProvider.HttpClientName, c => c.BaseAddress = new Uri("http://streamapi"))
            .ConfigurePrimaryHttpMessageHandler(() => endpoint);
        status = new UpstreamStatusBoard();
        return new ServiceTokenProvider(services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>(),
            Microsoft.Extensions.Options.Options.Create(api), status, time);
    }

    private sealed class TokenEndpoint(int expiresIn) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        public HttpStatusCode Status { get; init; } = HttpStatusCode.OK;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var form = await request.Content!.ReadAsStringAsync(cancellationToken);
            Requests.Add(form);
            Assert.AreEqual("/api/kavach/tokens", request.RequestUri!.AbsolutePath);
            var scope = Uri.UnescapeDataString(form[(form.IndexOf("scope=", StringComparison.Ordinal) + 6)..].Replace('+', ' '));
            return new HttpResponseMessage(Status)
            {
                Content = new StringContent(
                    $$"""{"access_token":"token-{{Requests.Count}}","token_type":"Bearer","expires_in":{{expiresIn}},"scope":"{{scope}}"}""",
                    Encoding.UTF8, "application/json"),
            };
        }
    }
}
