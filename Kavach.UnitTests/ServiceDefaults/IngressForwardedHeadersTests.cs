using System.Net;
using Kavach.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;

namespace Kavach.UnitTests.ServiceDefaults;

/// <summary>Whose X-Forwarded-* headers a service believes (Kavach:Ingress), on the real middleware in a test server.</summary>
[TestClass]
public sealed class IngressForwardedHeadersTests
{
    [TestMethod]
    public async Task HeadersAreIgnoredUnlessTheIngressIsTrusted()
    {
        var seen = await RequestAsync([], sender: "10.0.0.4", forwardedFor: "203.0.113.9");
        Assert.AreEqual("http 10.0.0.4", seen);
    }

    [TestMethod]
    public async Task ATrustedIngressGivesTheSchemeAndTheClientAddressItSaw()
    {
        var seen = await RequestAsync(new() { ["Kavach:Ingress:TrustForwardedHeaders"] = "true" }, sender: "10.0.0.4", forwardedFor: "203.0.113.9");
        Assert.AreEqual("https 203.0.113.9", seen);
    }

    [TestMethod]
    public async Task OnlyTheHopTheIngressAppendedCountsNotWhatTheClientWrote()
    {
        var seen = await RequestAsync(new() { ["Kavach:Ingress:TrustForwardedHeaders"] = "true" }, sender: "10.0.0.4", forwardedFor: "198.51.100.66, 203.0.113.9");
        Assert.AreEqual("https 203.0.113.9", seen);
    }

    [TestMethod]
    public async Task WithAspNetCoresOwnSwitchOnTooTheHeadersAreStillReadOnce()
    {
        // Aspire's manifest sets ASPNETCORE_FORWARDEDHEADERS_ENABLED for apps with external endpoints.
        var settings = new Dictionary<string, string?>
        {
            ["Kavach:Ingress:TrustForwardedHeaders"] = "true",
            ["FORWARDEDHEADERS_ENABLED"] = "true",
        };
        Assert.AreEqual("https 203.0.113.9", await RequestAsync(settings, sender: "10.0.0.4", forwardedFor: "198.51.100.66, 203.0.113.9"));
    }

    [TestMethod]
    public async Task WithKnownNetworksASenderOutsideThemIsNotBelieved()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kavach:Ingress:TrustForwardedHeaders"] = "true",
            ["Kavach:Ingress:KnownNetworks:0"] = "10.0.0.0/23",
        };
        Assert.AreEqual("https 203.0.113.9", await RequestAsync(settings, sender: "10.0.1.20", forwardedFor: "203.0.113.9"));
        Assert.AreEqual("http 10.0.2.20", await RequestAsync(settings, sender: "10.0.2.20", forwardedFor: "203.0.113.9"));
    }

    [TestMethod]
    public void AKnownNetworkThatIsNotCidrStopsStartupNamingTheKey()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kavach:Ingress:KnownNetworks:0"] = "10.0.0.0/99" });
        var failure = Assert.Throws<InvalidOperationException>(() => builder.AddIngressForwardedHeaders());
        StringAssert.Contains(failure.Message, "Kavach:Ingress:KnownNetworks");
    }

    private static async Task<string> RequestAsync(Dictionary<string, string?> settings, string sender, string forwardedFor)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddIngressForwardedHeaders();
        await using var app = builder.Build();
        app.UseForwardedHeadersFromIngress();
        app.MapGet("/", (HttpContext context) => $"{context.Request.Scheme} {context.Connection.RemoteIpAddress}");
        await app.StartAsync();

        var context = await app.GetTestServer().SendAsync(request =>
        {
            request.Request.Path = "/";
            request.Connection.RemoteIpAddress = IPAddress.Parse(sender);
            request.Request.Headers["X-Forwarded-For"] = forwardedFor;
            request.Request.Headers["X-Forwarded-Proto"] = "https";
        });
        return await new StreamReader(context.Response.Body).ReadToEndAsync();
    }
}
