using System.Collections.Immutable;
using System.Security.Claims;
using Kavach.DevIdentity.SignIn;
using Kavach.DevIdentity.Users;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kavach.DevIdentity;

/// <summary>
/// The OpenID Connect endpoints OpenIddict passes through to the app: authorize (sign the user in, then issue a code),
/// token (codes and refresh tokens, re-reading the user each time, so a removed user's refresh fails and a changed role
/// shows in the next tokens) and end session.
/// </summary>
public static class ConnectEndpoints
{
    public const string AuthorizePath = "/connect/authorize";
    public const string TokenPath = "/connect/token";
    public const string EndSessionPath = "/connect/endsession";

    /// <summary>The claim the roles travel in, as Entra ID's app roles do.</summary>
    public const string RolesClaim = "roles";

    public static WebApplication MapConnectEndpoints(this WebApplication app)
    {
        app.MapMethods(AuthorizePath, [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync);
        app.MapPost(TokenPath, (Delegate)TokenAsync);
        app.MapMethods(EndSessionPath, [HttpMethods.Get, HttpMethods.Post], (Delegate)EndSessionAsync);
        return app;
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext context, DevUserDirectory users)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        var session = await context.AuthenticateAsync(LoginPage.CookieScheme);
        var name = session.Succeeded ? session.Principal?.Identity?.Name : null;
        var user = users.Find(name);
        if (user is null || request.HasPromptValue(PromptValues.Login) && !context.Request.Query.ContainsKey("signed_in"))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.LoginRequired, "The user is not signed in.");
            }

            // Back here after the form: the same request, marked so prompt=login does not ask twice.
            var parameters = context.Request.HasFormContentType
                ? context.Request.Form.Where(p => p.Key != "signed_in").ToList()
                : context.Request.Query.Where(p => p.Key != "signed_in").ToList();
            parameters.Add(new("signed_in", "1"));
            return Results.Challenge(new AuthenticationProperties
            {
                RedirectUri = context.Request.PathBase + context.Request.Path + QueryString.Create(parameters),
            }, [LoginPage.CookieScheme]);
        }

        return Results.SignIn(PrincipalFor(name!, user, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> TokenAsync(HttpContext context, DevUserDirectory users)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        if (!request.IsAuthorizationCodeGrantType() && !request.IsRefreshTokenGrantType())
        {
            return Refuse(Errors.UnsupportedGrantType, "Only authorization codes and refresh tokens.");
        }

        var granted = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var name = granted.Principal?.GetClaim(Claims.Subject);
        if (users.Find(name) is not { } user)
        {
            return Refuse(Errors.InvalidGrant, "The user no longer exists.");
        }

        return Results.SignIn(PrincipalFor(name!, user, granted.Principal!.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> EndSessionAsync(HttpContext context)
    {
        await context.SignOutAsync(LoginPage.CookieScheme);
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    /// <summary>The user as the tokens carry them: subject and preferred_username are the sign-in name.</summary>
    public static ClaimsPrincipal PrincipalFor(string userName, DevUser user, ImmutableArray<string> scopes)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, RolesClaim);
        identity.SetClaim(Claims.Subject, userName)
            .SetClaim(Claims.PreferredUsername, userName)
            .SetClaim(Claims.Name, string.IsNullOrWhiteSpace(user.Name) ? userName : user.Name)
            .SetClaims(RolesClaim, [.. user.Roles]);
        identity.SetScopes(scopes);
        identity.SetDestinations(static _ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return new ClaimsPrincipal(identity);
    }

    private static IResult Refuse(string error, string description) => Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
    {
        [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
        [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
    }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
