using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Kavach.Dashboard.Options;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Kavach.Dashboard.Access;

/// <summary>
/// Who may view the console. Outside Development every endpoint (pages, the Blazor circuit, exports) needs a
/// cookie session, opened by entering the access key the AppHost supplies as a secret parameter. In Development
/// the console is open unless <c>Console:RequireSignIn</c> says otherwise.
/// </summary>
public static class ConsoleAccess
{
    public const string LoginPath = "/login";
    public const string LogoutPath = "/logout";
    public const string CookieName = "kavach.console";
    private const int MinimumKeyLength = 16;

    public static IHostApplicationBuilder AddConsoleAccess(this IHostApplicationBuilder builder)
    {
        var requireSignIn = builder.Configuration.GetValue<bool?>($"{ConsoleAccessOptions.Section}:{nameof(ConsoleAccessOptions.RequireSignIn)}")
            ?? !builder.Environment.IsDevelopment();

        builder.Services.AddOptions<ConsoleAccessOptions>()
            .Configure(o => o.RequireSignIn = requireSignIn)
            .BindConfiguration(ConsoleAccessOptions.Section)
            .Validate(o => !o.RequireSignIn || o.AccessKey?.Length >= MinimumKeyLength,
                $"{ConsoleAccessOptions.Section}:AccessKey must be set (at least {MinimumKeyLength} characters) when sign-in is " +
                "required, as it is outside Development. The AppHost passes its secret parameter 'console-access-key'.")
            .ValidateOnStart();

        builder.Services.AddOptions<SignInLimitOptions>()
            .BindConfiguration(SignInLimitOptions.Section)
            .Validate(o => o.PerAddress >= 0, $"{SignInLimitOptions.Section}:PerAddress is sign-in attempts per window from one address, 0 for no limit.")
            .Validate(o => o.Window >= TimeSpan.FromSeconds(1) && o.Window <= TimeSpan.FromDays(1),
                $"{SignInLimitOptions.Section}:Window must be between 00:00:01 and 1.00:00:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SignInThrottle>();

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = LoginPath;
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.SlidingExpiration = true;
            });
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<ConsoleAccessOptions>>((cookie, access) => cookie.ExpireTimeSpan = access.Value.SessionLifetime);

        // A fallback policy covers every endpoint without its own metadata: pages, the Blazor circuit, exports.
        // Health probes stay open: the AppHost and container platforms probe them without a session.
        builder.Services.AddAuthorizationBuilder().SetFallbackPolicy(requireSignIn
            ? new AuthorizationPolicyBuilder().RequireAssertion(context =>
                context.User.Identity?.IsAuthenticated == true
                || (context.Resource is HttpContext http && IsHealthProbe(http.Request.Path))).Build()
            : null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ConsolePolicies.View, RolePolicy(requireSignIn, ConsoleRoles.Viewer, ConsoleRoles.Responder, ConsoleRoles.Admin))
            .AddPolicy(ConsolePolicies.Respond, RolePolicy(requireSignIn, ConsoleRoles.Responder, ConsoleRoles.Admin))
            .AddPolicy(ConsolePolicies.Administer, RolePolicy(requireSignIn, ConsoleRoles.Admin));
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    public static WebApplication UseConsoleAccess(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        // The sign-out form carries an antiforgery token: another site cannot sign an operator out behind their back.
        app.MapPost(LogoutPath, async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Sign out from the console",
                    detail: "Sign-out takes the console's own form (its antiforgery token): use the Sign out button.");
            }

            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(LoginPath);
        }).AllowAnonymous();
        return app;
    }

    /// <summary>With sign-in off (Development's default) there are no people and no roles: every policy passes.</summary>
    private static AuthorizationPolicy RolePolicy(bool requireSignIn, params string[] roles) => requireSignIn
        ? new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(roles).Build()
        : new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();

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

    public static ClaimsPrincipal Operator() =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator"), new Claim(ConsoleRoles.ClaimType, ConsoleRoles.Admin)],
            CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>Only local paths, so the login form cannot be used to bounce a user to another site.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";
}
