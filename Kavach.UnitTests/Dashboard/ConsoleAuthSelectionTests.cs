using System.Security.Claims;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Options;

namespace Kavach.UnitTests.Dashboard;

/// <summary>Which sign-in the console runs with, what it asks for in each mode, and the principal it makes of each.</summary>
[TestClass]
public sealed class ConsoleAuthSelectionTests
{
    private static readonly ConsoleAuthOptions Oidc = new()
    {
        Mode = ConsoleAuthMode.Oidc,
        Authority = "https://login.microsoftonline.com/tenant/v2.0",
        ClientId = "console",
        ClientSecret = "a-secret",
    };

    [TestMethod]
    [DataRow(ConsoleAuthMode.Oidc, null, false, ConsoleAuthMode.Oidc)]
    [DataRow(ConsoleAuthMode.None, true, true, ConsoleAuthMode.None)]
    [DataRow(null, true, false, ConsoleAuthMode.AccessKey)]
    [DataRow(null, false, true, ConsoleAuthMode.None)]
    [DataRow(null, null, true, ConsoleAuthMode.None)]
    public void TheConfiguredModeWinsThenTheOldSwitchThenDevelopmentsDefault(ConsoleAuthMode? configured, bool? legacy, bool development, ConsoleAuthMode expected) =>
        Assert.AreEqual(expected, ConsoleAuthSelection.Resolve(configured, legacy, development));

    [TestMethod]
    public void OutsideDevelopmentThereIsNoDefaultAndTheErrorNamesTheKeys()
    {
        Assert.IsNull(ConsoleAuthSelection.Resolve(null, null, isDevelopment: false));
        var problem = ConsoleAuthSelection.Problems(null, new ConsoleAuthOptions(), accessKey: "a-long-enough-access-key", isDevelopment: false).Single();
        StringAssert.Contains(problem, "Console:Auth:Mode");
        StringAssert.Contains(problem, "Console:Auth:Authority");
        StringAssert.Contains(problem, "Console:AccessKey");
    }

    [TestMethod]
    public void NoSignInIsForDevelopmentOnly()
    {
        Assert.IsEmpty(ConsoleAuthSelection.Problems(ConsoleAuthMode.None, new ConsoleAuthOptions(), null, isDevelopment: true));
        StringAssert.Contains(ConsoleAuthSelection.Problems(ConsoleAuthMode.None, new ConsoleAuthOptions(), null, isDevelopment: false).Single(), "Development only");
    }

    [TestMethod]
    public void TheAccessKeyModeNeedsALongEnoughKey()
    {
        StringAssert.Contains(ConsoleAuthSelection.Problems(ConsoleAuthMode.AccessKey, new ConsoleAuthOptions(), "short", false).Single(), "Console:AccessKey");
        Assert.IsEmpty(ConsoleAuthSelection.Problems(ConsoleAuthMode.AccessKey, new ConsoleAuthOptions(), "a-long-enough-access-key", false));
    }

    [TestMethod]
    public void OidcNeedsAnHttpsAuthorityAClientAndItsSecret()
    {
        Assert.IsEmpty(ConsoleAuthSelection.Problems(ConsoleAuthMode.Oidc, Oidc, null, false));

        var missing = ConsoleAuthSelection.Problems(ConsoleAuthMode.Oidc, new ConsoleAuthOptions { Mode = ConsoleAuthMode.Oidc }, null, false);
        Assert.HasCount(3, missing);
        StringAssert.Contains(string.Join(' ', missing), "Console:Auth:ClientSecret");

        var plainHttp = new ConsoleAuthOptions { Mode = ConsoleAuthMode.Oidc, Authority = "http://idp.example", ClientId = "c", ClientSecret = "s" };
        StringAssert.Contains(ConsoleAuthSelection.Problems(ConsoleAuthMode.Oidc, plainHttp, null, false).Single(), "https");

        var loopback = new ConsoleAuthOptions { Mode = ConsoleAuthMode.Oidc, Authority = "http://localhost:5095", ClientId = "c", ClientSecret = "s" };
        Assert.IsEmpty(ConsoleAuthSelection.Problems(ConsoleAuthMode.Oidc, loopback, null, false), "the development provider on loopback");

        var tooRare = new ConsoleAuthOptions { Mode = ConsoleAuthMode.Oidc, Authority = Oidc.Authority, ClientId = "c", ClientSecret = "s", RevalidateEvery = TimeSpan.FromHours(2) };
        StringAssert.Contains(ConsoleAuthSelection.Problems(ConsoleAuthMode.Oidc, tooRare, null, false).Single(), "RevalidateEvery");
    }

    [TestMethod]
    public void AProvidersClaimsBecomeTheConsolesPrincipalWithOnlyItsOwnRoles()
    {
        var provider = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("sub", "00000000-aaaa"),
            new Claim("preferred_username", "alice@example.com"),
            new Claim("name", "Alice Example"),
            new Claim("roles", "responder"),
            new Claim("roles", "Global.Admin"),
        ], "oidc"));

        var user = ConsolePrincipal.FromOidc(provider);

        Assert.AreEqual("alice@example.com", ConsoleUser.NameOf(user), "changes are recorded under the sign-in name");
        Assert.AreEqual("Alice Example", ConsolePrincipal.DisplayNameOf(user));
        Assert.IsTrue(user.IsInRole(ConsoleRoles.Responder));
        Assert.IsFalse(user.IsInRole("Global.Admin"), "only the console's roles are kept");
        Assert.AreEqual(ConsoleRoles.Responder, ConsolePrincipal.RoleOf(user));
        Assert.IsNotNull(user.FindFirst(ConsolePrincipal.SessionClaim));
        Assert.AreNotEqual(user.FindFirst(ConsolePrincipal.SessionClaim)!.Value, ConsolePrincipal.FromOidc(provider).FindFirst(ConsolePrincipal.SessionClaim)!.Value,
            "each sign-in is a session of its own");
    }

    [TestMethod]
    public void AnAccessKeySessionCarriesAStampOfTheKeyNotTheKey()
    {
        const string Key = "the-first-access-key-0123";
        var user = ConsolePrincipal.FromAccessKey(Key);
        var stamp = user.FindFirst(ConsolePrincipal.KeyStampClaim)!.Value;

        Assert.AreEqual(ConsolePrincipal.KeyStamp(Key), stamp);
        Assert.AreNotEqual(ConsolePrincipal.KeyStamp("the-rotated-access-key-4567"), stamp);
        Assert.IsFalse(user.Claims.Any(c => c.Value.Contains(Key, StringComparison.Ordinal)), "the key itself is in no claim");
        Assert.AreEqual(ConsoleRoles.Admin, ConsolePrincipal.RoleOf(user));
    }

    [TestMethod]
    [DataRow("/history?from=1", "/history?from=1")]
    [DataRow("https://evil.example/", "/")]
    [DataRow("//evil.example/", "/")]
    [DataRow("/\\evil.example/", "/")]
    [DataRow("/ok\\..\\evil", "/")]
    [DataRow("/a\r\nLocation: https://evil.example", "/")]
    [DataRow(null, "/")]
    public void ReturnAddressesStayInTheConsole(string? returnUrl, string expected) =>
        Assert.AreEqual(expected, ConsoleAccess.SafeReturnUrl(returnUrl));
}
