using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Upstream;
using Kavach.ServiceDefaults.Auth;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Kavach.UnitTests.Dashboard;

[TestClass]
public sealed class ServiceTokenProviderTests
{
    private const string SigningKey = "a-signing-key-that-is-long-enough-for-hs256-0123";

    [TestMethod]
    public void AMintedTokenIsReusedUntilEightyPercentOfItsLifetimeThenRenewed()
    {
        var time = new FixedTime(DateTimeOffset.UtcNow);
        var tokens = Provider(new StreamApiOptions { TokenLifetime = TimeSpan.FromMinutes(10) }, time);

        var start = time.Now;
        var first = tokens.GetToken();
        Assert.AreEqual(start + TimeSpan.FromMinutes(8), tokens.RenewsAt);
        Assert.AreEqual(ServiceTokenProvider.Subject, new JsonWebToken(first).Subject);

        time.Now += TimeSpan.FromMinutes(7);
        Assert.AreEqual(first, tokens.GetToken());
        Assert.AreEqual(start + TimeSpan.FromMinutes(8), tokens.RenewsAt);

        time.Now += TimeSpan.FromMinutes(1.5);
        tokens.GetToken();
        Assert.AreEqual(time.Now + TimeSpan.FromMinutes(8), tokens.RenewsAt, "a new token was minted");
    }

    [TestMethod]
    public void OnlyADemoEnabledConsoleAsksForTheEmitScope()
    {
        var reader = new JsonWebToken(Provider(new StreamApiOptions(), TimeProvider.System).GetToken());
        Assert.IsFalse(reader.TryGetClaim(KavachTokens.ScopeClaim, out _));

        var demo = new JsonWebToken(Provider(new StreamApiOptions { EnableDemoTraffic = true }, TimeProvider.System).GetToken());
        Assert.AreEqual(KavachTokens.EmitScope, demo.GetClaim(KavachTokens.ScopeClaim).Value);
    }

    [TestMethod]
    public void AConfiguredTokenIsUsedAsItIs()
    {
        var tokens = Provider(new StreamApiOptions { Token = "given-token" }, TimeProvider.System);
        Assert.AreEqual("given-token", tokens.GetToken());
    }

    private static ServiceTokenProvider Provider(StreamApiOptions api, TimeProvider time) => new(
        Microsoft.Extensions.Options.Options.Create(api),
        Microsoft.Extensions.Options.Options.Create(new KavachAuthOptions { SigningKey = SigningKey }),
        time);
}
