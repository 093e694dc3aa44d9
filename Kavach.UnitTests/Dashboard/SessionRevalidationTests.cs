using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Options;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Kavach.UnitTests.Dashboard;

/// <summary>
/// How a session is re-checked with the provider: at most every RevalidateEvery; a refused refresh, a changed role or
/// an ID token that does not validate (unsigned, another issuer's key) ends it; otherwise it goes on with the new tokens.
/// The provider here is a stand-in token endpoint with a key of its own.
/// </summary>
[TestClass]
public sealed class SessionRevalidationTests
{
    private const string Issuer = "https://idp.example/";
    private const string ClientId = "kavach-console";
    private static readonly RsaSecurityKey SigningKey = new(RSA.Create(2048)) { KeyId = "idp-key" };
    private static readonly RsaSecurityKey OtherKey = new(RSA.Create(2048)) { KeyId = "idp-key" };

    [TestMethod]
    [DataRow(null, 0, true)]
    [DataRow(-30, 60, false)]
    [DataRow(-60, 60, true)]
    [DataRow(600, 60, true)] // a check "in the future" (a clock set back) is not trusted
    public void AChecksDueTimeFollowsRevalidateEvery(int? secondsAgo, int everySeconds, bool due)
    {
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        DateTimeOffset? last = secondsAgo is { } s ? now.AddSeconds(s) : null;
        Assert.AreEqual(due, SessionCheck.IsDue(last, now, TimeSpan.FromSeconds(everySeconds)));
    }

    [TestMethod]
    public async Task TheSameRolesGoOnWithTheProvidersNewRefreshToken()
    {
        var provider = new StandInProvider(_ => Answer(HttpStatusCode.OK, IdToken(SigningKey, "viewer"), "refresh-2"));
        var check = await provider.Revalidator().CheckAsync("refresh-1", [ConsoleRoles.Viewer], CancellationToken.None);

        Assert.IsFalse(check.HasEnded, check.Reason);
        Assert.AreEqual("refresh-2", check.RefreshToken);
        StringAssert.Contains(provider.LastRequest!, "grant_type=refresh_token");
        StringAssert.Contains(provider.LastRequest!, "refresh_token=refresh-1");
    }

    [TestMethod]
    public async Task ARefusedRefreshEndsTheSession()
    {
        var provider = new StandInProvider(_ => new HttpResponseMessage(HttpStatusCode.BadRequest)
        {
            Content = new StringContent("""{"error":"invalid_grant","error_description":"The user no longer exists."}"""),
        });
        var check = await provider.Revalidator().CheckAsync("refresh-1", [ConsoleRoles.Viewer], CancellationToken.None);

        Assert.IsTrue(check.HasEnded);
        StringAssert.Contains(check.Reason!, "invalid_grant");
        Assert.IsFalse(check.Reason!.Contains("refresh-1", StringComparison.Ordinal), "no token in the reason (it is logged)");
    }

    [TestMethod]
    public async Task AChangedRoleEndsTheSession()
    {
        var provider = new StandInProvider(_ => Answer(HttpStatusCode.OK, IdToken(SigningKey, "admin"), "refresh-2"));
        var check = await provider.Revalidator().CheckAsync("refresh-1", [ConsoleRoles.Viewer], CancellationToken.None);

        Assert.IsTrue(check.HasEnded);
        StringAssert.Contains(check.Reason!, "roles changed");
    }

    [TestMethod]
    public async Task AnUnsignedOrForeignIdTokenEndsTheSessionWhateverItClaims()
    {
        var unsigned = new JsonWebTokenHandler().CreateToken(JsonSerializer.Serialize(Claims("viewer")));
        foreach (var forged in new[] { unsigned, IdToken(OtherKey, "viewer") })
        {
            var provider = new StandInProvider(_ => Answer(HttpStatusCode.OK, forged, "refresh-2"));
            var check = await provider.Revalidator().CheckAsync("refresh-1", [ConsoleRoles.Viewer], CancellationToken.None);
            Assert.IsTrue(check.HasEnded, "a forged ID token must not extend a session");
            StringAssert.Contains(check.Reason!, "did not validate");
        }
    }

    [TestMethod]
    public async Task AnUnreachableProviderEndsTheSession()
    {
        var provider = new StandInProvider(_ => throw new HttpRequestException("connection refused"));
        var check = await provider.Revalidator().CheckAsync("refresh-1", [ConsoleRoles.Viewer], CancellationToken.None);
        Assert.IsTrue(check.HasEnded, "fail closed");
    }

    [TestMethod]
    public async Task TheGuardChecksAtMostEveryIntervalAndRemembersAnEndedSession()
    {
        var roles = "viewer";
        var provider = new StandInProvider(_ => Answer(HttpStatusCode.OK, IdToken(SigningKey, roles), "refresh-next"));
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var sessions = new ConsoleSessions(clock);
        var guard = new SessionGuard(
            Options.Create(new ConsoleAccessOptions { Mode = ConsoleAuthMode.Oidc, RequireSignIn = true }),
            Options.Create(new ConsoleAuthOptions { RevalidateEvery = TimeSpan.FromMinutes(1) }),
            sessions, provider.Revalidator(), clock, NullLogger<SessionGuard>.Instance);
        var user = ConsolePrincipal.FromOidc(new ClaimsPrincipal(new ClaimsIdentity([new Claim("preferred_username", "carol"), new Claim("roles", "viewer")], "oidc")));

        Assert.IsFalse((await guard.CheckAsync(user, "refresh-1", CancellationToken.None))!.HasEnded, "first seen: checked at once");
        Assert.AreEqual(1, provider.Calls);
        Assert.IsNull(await guard.CheckAsync(user, "refresh-1", CancellationToken.None), "not due yet");
        Assert.AreEqual(1, provider.Calls);

        roles = "responder";
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.IsTrue((await guard.CheckAsync(user, "refresh-1", CancellationToken.None))!.HasEnded);
        StringAssert.Contains(provider.LastRequest!, "refresh_token=refresh-next", "the newest refresh token is the one used");

        roles = "viewer";
        Assert.IsTrue((await guard.CheckAsync(user, cookieRefreshToken: null, CancellationToken.None))!.HasEnded, "an ended session stays ended (an open page's circuit too)");
        Assert.AreEqual(2, provider.Calls);
    }

    [TestMethod]
    public async Task RotatingTheAccessKeyEndsTheSessionsItOpened()
    {
        var clock = new FakeTimeProvider();
        SessionGuard Guard(string key) => new(
            Options.Create(new ConsoleAccessOptions { Mode = ConsoleAuthMode.AccessKey, RequireSignIn = true, AccessKey = key }),
            Options.Create(new ConsoleAuthOptions()), new ConsoleSessions(clock), new StandInProvider(_ => throw new InvalidOperationException()).Revalidator(),
            clock, NullLogger<SessionGuard>.Instance);
        var user = ConsolePrincipal.FromAccessKey("the-first-access-key-0123");

        Assert.IsNull(await Guard("the-first-access-key-0123").CheckAsync(user, null, CancellationToken.None));
        Assert.IsTrue((await Guard("the-rotated-access-key-4567").CheckAsync(user, null, CancellationToken.None))!.HasEnded);
    }

    private static Dictionary<string, object> Claims(string role) => new()
    {
        ["iss"] = Issuer,
        ["aud"] = ClientId,
        ["sub"] = "carol",
        ["roles"] = new[] { role },
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
    };

    private static string IdToken(SecurityKey key, string role) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Claims = Claims(role),
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
    });

    private static HttpResponseMessage Answer(HttpStatusCode status, string idToken, string refreshToken) => new(status)
    {
        Content = new StringContent(JsonSerializer.Serialize(new { id_token = idToken, refresh_token = refreshToken, access_token = "at", token_type = "Bearer" })),
    };

    private sealed class StandInProvider(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        public string? LastRequest { get; private set; }

        public SessionRevalidator Revalidator()
        {
            var configuration = new OpenIdConnectConfiguration { Issuer = Issuer, TokenEndpoint = Issuer + "connect/token" };
            configuration.SigningKeys.Add(SigningKey);
            var options = new OpenIdConnectOptions
            {
                ClientId = ClientId,
                ClientSecret = "client-secret",
                ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration),
                Backchannel = new HttpClient(this),
            };
            options.TokenValidationParameters.RoleClaimType = "roles";
            return new SessionRevalidator(new StaticMonitor(options), NullLogger<SessionRevalidator>.Instance);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            LastRequest = await request.Content!.ReadAsStringAsync(cancellationToken);
            return answer(request);
        }
    }

    private sealed class StaticMonitor(OpenIdConnectOptions options) : IOptionsMonitor<OpenIdConnectOptions>
    {
        public OpenIdConnectOptions CurrentValue => options;

        public OpenIdConnectOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<OpenIdConnectOptions, string?> listener) => null;
    }
}
