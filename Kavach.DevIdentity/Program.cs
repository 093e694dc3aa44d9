using Kavach.DevIdentity;
using Kavach.DevIdentity.SignIn;
using Kavach.DevIdentity.Users;
using Kavach.ServiceDefaults;
using static OpenIddict.Abstractions.OpenIddictConstants;

// A small OpenID Connect provider for local runs and tests (docs/console.md, "Sign-in and roles"): the console signs
// in against it exactly as it does against Entra ID when deployed. It keeps nothing: keys are made at start, so a
// restart ends every session.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

builder.Services.AddOptions<DevIdentityOptions>().BindConfiguration(DevIdentityOptions.Section)
    .Validate(o => o.SignInPerAddress >= 0 && o.SignInWindow > TimeSpan.Zero,
        $"{DevIdentityOptions.Section}:SignInPerAddress must be 0 or more and SignInWindow positive.")
    .ValidateOnStart();
builder.Services.AddSingleton<DevUserDirectory>();
builder.Services.AddSingleton<PasswordThrottle>();
// Its cookies share the host (localhost) with the console's; their names must not collide.
builder.Services.AddAntiforgery(antiforgery => antiforgery.Cookie.Name = "kavach.devidentity.antiforgery");

builder.Services.AddAuthentication(LoginPage.CookieScheme)
    .AddCookie(LoginPage.CookieScheme, cookie =>
    {
        cookie.LoginPath = LoginPage.Path;
        cookie.Cookie.Name = LoginPage.CookieName;
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Lax;
        cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
    });

var refreshTokenLifetime = builder.Configuration.GetValue<TimeSpan?>($"{DevIdentityOptions.Section}:RefreshTokenLifetime") ?? TimeSpan.FromHours(8);
builder.Services.AddOpenIddict().AddServer(server =>
{
    server.SetAuthorizationEndpointUris(ConnectEndpoints.AuthorizePath.TrimStart('/'))
        .SetTokenEndpointUris(ConnectEndpoints.TokenPath.TrimStart('/'))
        .SetEndSessionEndpointUris(ConnectEndpoints.EndSessionPath.TrimStart('/'));
    server.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().RequireProofKeyForCodeExchange();
    server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.OfflineAccess, Scopes.Roles);
    server.SetRefreshTokenLifetime(refreshTokenLifetime);
    server.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
    // No database: clients come from configuration (ClientRegistry) and users from DevUserDirectory.
    server.EnableDegradedMode();
    server.ValidateClientsFromConfiguration();
    server.UseAspNetCore()
        .EnableAuthorizationEndpointPassthrough()
        .EnableTokenEndpointPassthrough()
        .EnableEndSessionEndpointPassthrough()
        // Local runs and tests speak plain HTTP on loopback; this provider is never deployed.
        .DisableTransportSecurityRequirement();
});

var app = builder.Build();
app.UseAuthentication();
app.MapGet("/", () => Results.Content(
    "Kavach development identity: an OpenID Connect provider for local runs (/.well-known/openid-configuration).", "text/plain"));
app.MapLoginPage();
app.MapConnectEndpoints();
app.MapDefaultEndpoints();
app.Run();
