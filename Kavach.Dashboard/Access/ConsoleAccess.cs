using System.Security.Cryptography;
using System.Text;
using Kavach.Dashboard.Options;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kavach.Dashboard.Access;

/// <summary>
/// Who may use the console (docs/console.md, "Sign-in and roles"). <c>Console:Auth:Mode</c> Oidc signs named people in
/// through an OpenID Connect provider, with roles from its <c>roles</c> claim; AccessKey (an explicit fallback) opens a
/// session for whoever knows the shared key; None (Development only) leaves the console open. With sign-in, every
/// endpoint (pages, the Blazor circuit, exports) needs a session and at least the viewer role; health probes stay open.
/// </summary>
public static class ConsoleAccess
{
    public const string LoginPath = "/login";
    public const string SignInPath = "/signin";
    public const string DeniedPath = "/denied";
    public const string LogoutPath = "/logout";
    public const string CookieName = "kavach.console";

    /// <summary>The demo endpoints: a responder or admin, or the AppHost's command with its key.</summary>
    public const string DemoControlPolicy = "console.demo-control";

    public static IHostApplicationBuilder AddConsoleAccess(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var isDevelopment = builder.Environment.IsDevelopment();
        var authSettings = configuration.GetSection(ConsoleAuthOptions.Section).Get<ConsoleAuthOptions>() ?? new ConsoleAuthOptions();
        var mode = ConsoleAuthSelection.Resolve(authSettings.Mode,
            configuration.GetValue<bool?>($"{ConsoleAccessOptions.Section}:{nameof(ConsoleAccessOptions.RequireSignIn)}"), isDevelopment);
        var requireSignIn = mode is not ConsoleAuthMode.None;

        builder.Services.AddOptions<ConsoleAuthOptions>().BindConfiguration(ConsoleAuthOptions.Section);
        builder.Services.AddOptions<ConsoleAccessOptions>()
            .BindConfiguration(ConsoleAccessOptions.Section)
            .PostConfigure(o =>
            {
                o.Mode = mode ?? ConsoleAuthMode.None;
                o.RequireSignIn = requireSignIn;
            })
            .Validate<Microsoft.Extensions.Options.IOptions<ConsoleAuthOptions>>(
                (o, auth) => ConsoleAuthSelection.Problems(mode, auth.Value, o.AccessKey, isDevelopment).Count == 0,
                string.Join(" ", ConsoleAuthSelection.Problems(mode, authSettings, configuration["Console:AccessKey"], isDevelopment)))
            .ValidateOnStart();

        builder.Services.AddOptions<SignInLimitOptions>()
            .BindConfiguration(SignInLimitOptions.Section)
            .Validate(o => o.PerAddress >= 0, $"{SignInLimitOptions.Section}:PerAddress is sign-in attempts per window from one address, 0 for no limit.")
            .Validate(o => o.Window >= TimeSpan.FromSeconds(1) && o.Window <= TimeSpan.FromDays(1),
                $"{SignInLimitOptions.Section}:Window must be between 00:00:01 and 1.00:00:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SignInThrottle>();
        // The hosting layer logs each request's URL, and the provider's answer brings the authorization code in the query.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddSingleton<ConsoleSessions>();
        builder.Services.AddSingleton<SessionRevalidator>();
        builder.Services.AddScoped<SessionGuard>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        var authentication = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = LoginPath;
                cookie.AccessDeniedPath = DeniedPath;
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                // With OpenID Connect Lax, not Strict: the provider's redirect back to the console is a cross-site
                // navigation, and the session cookie set there must be sent on the redirect that follows. Forms carry
                // antiforgery tokens either way.
                cookie.Cookie.SameSite = mode is ConsoleAuthMode.Oidc ? SameSiteMode.Lax : SameSiteMode.Strict;
                cookie.SlidingExpiration = true;
                cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
            })
            .AddScheme<AuthenticationSchemeOptions, CommandKeyAuthentication>(CommandKeyAuthentication.SchemeName, null);
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<ConsoleAccessOptions>>((cookie, access) => cookie.ExpireTimeSpan = access.Value.SessionLifetime);
        if (mode is ConsoleAuthMode.Oidc)
        {
            authentication.AddConsoleOpenIdConnect(authSettings);
        }

        // A fallback policy covers every endpoint without its own metadata: pages, the Blazor circuit, exports — the
        // viewer role at least. Health probes stay open: the AppHost and container platforms probe them without a session.
        var view = RolePolicy(requireSignIn, ConsoleRoles.Viewer, ConsoleRoles.Responder, ConsoleRoles.Admin);
        builder.Services.AddAuthorizationBuilder().SetFallbackPolicy(requireSignIn
            ? new AuthorizationPolicyBuilder().RequireAssertion(context =>
                (context.Resource is HttpContext http && IsHealthProbe(http.Request.Path))
                || context.User.Identity?.IsAuthenticated == true && HasAnyRole(context.User, ConsoleRoles.Viewer, ConsoleRoles.Responder, ConsoleRoles.Admin)).Build()
            : null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ConsolePolicies.View, view)
            .AddPolicy(ConsolePolicies.Respond, RolePolicy(requireSignIn, ConsoleRoles.Responder, ConsoleRoles.Admin))
            .AddPolicy(ConsolePolicies.Administer, RolePolicy(requireSignIn, ConsoleRoles.Admin))
            .AddPolicy(DemoControlPolicy, requireSignIn
                ? new AuthorizationPolicyBuilder(CookieAuthenticationDefaults.AuthenticationScheme, CommandKeyAuthentication.SchemeName)
                    .RequireAssertion(context => context.User.Identities.Any(i => i.AuthenticationType == CommandKeyAuthentication.SchemeName)
                        || HasAnyRole(context.User, ConsoleRoles.Responder, ConsoleRoles.Admin)).Build()
                : new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build());
        builder.Services.AddCascadingAuthenticationState();
        // An open page checks its session too (a circuit sends no requests for the cookie check to see).
        builder.Services.AddScoped<AuthenticationStateProvider, CircuitSessionRevalidation>();
        return builder;
    }

    public static WebApplication UseConsoleAccess(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();

        // Starts an OpenID Connect sign-in (the sign-in page's button); attempts are throttled per address at the challenge.
        app.MapGet(SignInPath, (string? returnUrl, Microsoft.Extensions.Options.IOptions<ConsoleAccessOptions> access) =>
            access.Value.Mode is ConsoleAuthMode.Oidc
                ? Results.Challenge(new AuthenticationProperties { RedirectUri = SafeReturnUrl(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme])
                : Results.LocalRedirect(LoginPath)).AllowAnonymous();

        // The sign-out form carries an antiforgery token: another site cannot sign an operator out behind their back.
        app.MapPost(LogoutPath, async (HttpContext context, IAntiforgery antiforgery, Microsoft.Extensions.Options.IOptions<ConsoleAccessOptions> access,
            ConsoleSessions sessions) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Sign out from the console",
                    detail: "Sign-out takes the console's own form (its antiforgery token): use the Sign out button.");
            }

            if (context.User.FindFirst(ConsolePrincipal.SessionClaim)?.Value is { } sessionId)
            {
                sessions.End(sessionId, "signed out");
            }

            var signedOut = new AuthenticationProperties { RedirectUri = $"{LoginPath}?signedOut=1" };
            return access.Value.Mode is ConsoleAuthMode.Oidc
                // Also at the provider, so that "Sign in" asks for the password again rather than resuming its session.
                ? Results.SignOut(signedOut, [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme])
                : Results.SignOut(signedOut, [CookieAuthenticationDefaults.AuthenticationScheme]);
        }).AllowAnonymous();
        return app;
    }

    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is not { } user)
        {
            return;
        }

        var guard = context.HttpContext.RequestServices.GetRequiredService<SessionGuard>();
        var check = await guard.CheckAsync(user, context.Properties.GetTokenValue("refresh_token"), context.HttpContext.RequestAborted);
        if (check is null)
        {
            return;
        }

        if (check.HasEnded)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }

        context.Properties.UpdateTokenValue("refresh_token", check.RefreshToken!);
        if (check.IdToken is { } idToken)
        {
            context.Properties.UpdateTokenValue("id_token", idToken);
        }

        context.ShouldRenew = true;
    }

    /// <summary>With sign-in off (Development's default) there are no people and no roles: every policy passes.</summary>
    private static AuthorizationPolicy RolePolicy(bool requireSignIn, params string[] roles) => requireSignIn
        ? new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(roles).Build()
        : new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();

    private static bool HasAnyRole(System.Security.Claims.ClaimsPrincipal user, params string[] roles) => roles.Any(user.IsInRole);

    private static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments(Kavach.ServiceDefaults.Extensions.HealthEndpointPath)
        || path.StartsWithSegments(Kavach.ServiceDefaults.Extensions.AlivenessEndpointPath);

    /// <summary>Compares in constant time (over hashes, so the key's length does not leak either).</summary>
    public static bool IsValidKey(string? candidate, string? expected)
    {
        if (string.IsNullOrEmpty(candidate) || string.IsNullOrEmpty(expected))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    /// <summary>Only local paths, so the sign-in cannot be used to bounce a user to another site.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) && !returnUrl.Contains('\\', StringComparison.Ordinal)
            && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : "/";
}
