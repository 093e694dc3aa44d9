using Kavach.Dashboard.Options;
using Kavach.ServiceDefaults.Limits;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Kavach.Dashboard.Access;

/// <summary>
/// The console as an OpenID Connect client: authorization code with PKCE, the answer in the query, refresh tokens
/// (offline_access) kept in the session cookie for the session checks, and the provider's claims turned into the
/// console's own principal (<see cref="ConsolePrincipal.FromOidc"/>).
/// </summary>
public static class ConsoleOpenIdConnect
{
    public static AuthenticationBuilder AddConsoleOpenIdConnect(this AuthenticationBuilder authentication, ConsoleAuthOptions settings) =>
        authentication.AddOpenIdConnect(OpenIdConnectDefaults.AuthenticationScheme, "Sign in", oidc =>
        {
            oidc.Authority = settings.Authority;
            oidc.ClientId = settings.ClientId;
            oidc.ClientSecret = settings.ClientSecret;
            // Plain http only for a provider on loopback (the development provider); ConsoleAuthSelection refuses others.
            oidc.RequireHttpsMetadata = !(Uri.TryCreate(settings.Authority, UriKind.Absolute, out var authority) && authority.IsLoopback);
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            oidc.UsePkce = true;
            // The code comes back in the query of a top-level GET: Lax cookies travel with it, so the correlation and
            // nonce cookies need not be SameSite=None (which browsers drop over plain http).
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.Scope.Clear();
            oidc.Scope.Add(OpenIdConnectScope.OpenId);
            oidc.Scope.Add(OpenIdConnectScope.OpenIdProfile);
            oidc.Scope.Add(OpenIdConnectScope.OfflineAccess);
            oidc.MapInboundClaims = false;
            oidc.GetClaimsFromUserInfoEndpoint = false;
            oidc.SaveTokens = true;
            oidc.TokenValidationParameters.NameClaimType = "preferred_username";
            oidc.TokenValidationParameters.RoleClaimType = ConsolePrincipal.RolesClaim;

            oidc.Events.OnRedirectToIdentityProvider = context =>
            {
                var http = context.HttpContext;
                // Pages' scripts (the circuit, the console's API) get a 401; only a person's navigation goes to the provider.
                if (http.Request.Path.StartsWithSegments("/_blazor") || http.Request.Path.StartsWithSegments("/api"))
                {
                    http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.HandleResponse();
                    return Task.CompletedTask;
                }

                if (!http.RequestServices.GetRequiredService<SignInThrottle>().TryAttempt(http, out var retryAfter))
                {
                    http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    var seconds = RetryAfter.Set(http.Response, retryAfter);
                    context.HandleResponse();
                    return http.Response.WriteAsync(
                        $"Too many sign-in attempts from your address (Kavach:Limits:SignIn:PerAddress). Try again in {seconds} s.",
                        http.RequestAborted);
                }

                return Task.CompletedTask;
            };
            oidc.Events.OnTokenValidated = context =>
            {
                var principal = ConsolePrincipal.FromOidc(context.Principal!);
                context.Principal = principal;
                if (context.TokenEndpointResponse?.RefreshToken is { Length: > 0 } refreshToken)
                {
                    context.HttpContext.RequestServices.GetRequiredService<ConsoleSessions>()
                        .Checked(principal.FindFirst(ConsolePrincipal.SessionClaim)!.Value, refreshToken);
                }

                return Task.CompletedTask;
            };
            oidc.Events.OnTicketReceived = context =>
            {
                // The session keeps the refresh token (revalidation) and the ID token (the provider's sign-out), never the
                // access token: the console calls the API with its own client credentials. Left in, it would make the
                // cookie over 8 KB, more than clients such as curl send.
                if (context.Properties is { } properties)
                {
                    properties.StoreTokens(properties.GetTokens().Where(t => t.Name != "access_token").ToList());
                }

                return Task.CompletedTask;
            };
            oidc.Events.OnRemoteFailure = context =>
            {
                // The provider's error (a refused sign-in, a stale or forged answer) without echoing its details.
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleOpenIdConnect))
                    .LogWarning("A console sign-in failed: {Error}", context.Failure?.GetType().Name);
                context.Response.Redirect($"{ConsoleAccess.LoginPath}?failed=1");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
}
