using Kavach.Dashboard.Options;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Kavach.Dashboard.Access;

/// <summary>
/// Asks the OpenID Connect provider whether a session still stands: it redeems the session's refresh token. A removed
/// (or disabled) user's refresh is refused; a changed role shows in the new ID token's <c>roles</c>. Either ends the
/// session. Tokens are never logged or put into an exception's message.
/// </summary>
public sealed class SessionRevalidator(IOptionsMonitor<OpenIdConnectOptions> oidcOptions, ILogger<SessionRevalidator> logger)
{
    public async Task<SessionCheck> CheckAsync(string? refreshToken, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(refreshToken))
        {
            return SessionCheck.Ended("the session holds no refresh token");
        }

        var oidc = oidcOptions.Get(OpenIdConnectDefaults.AuthenticationScheme);
        OpenIdConnectConfiguration configuration;
        OpenIdConnectMessage answer;
        try
        {
            configuration = await oidc.ConfigurationManager!.GetConfigurationAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["refresh_token"] = refreshToken,
                    ["client_id"] = oidc.ClientId!,
                    ["client_secret"] = oidc.ClientSecret!,
                    ["scope"] = string.Join(' ', oidc.Scope),
                }),
            };
            using var response = await oidc.Backchannel.SendAsync(request, cancellationToken);
            answer = new OpenIdConnectMessage(await response.Content.ReadAsStringAsync(cancellationToken));
            if (!response.IsSuccessStatusCode || !string.IsNullOrEmpty(answer.Error))
            {
                return SessionCheck.Ended($"the provider refused the refresh ({answer.Error ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)})");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or ArgumentException or System.Text.Json.JsonException)
        {
            // Fail closed: a session that cannot be checked does not go on (the person signs in again once the provider answers).
            logger.LogWarning("The OpenID Connect provider could not be asked about a session: {Error}", e.GetType().Name);
            return SessionCheck.Ended("the provider could not be reached");
        }

        if (string.IsNullOrEmpty(answer.IdToken))
        {
            return SessionCheck.Ended("the refresh brought no ID token");
        }

        var parameters = oidc.TokenValidationParameters.Clone();
        parameters.ValidIssuer = configuration.Issuer;
        parameters.IssuerSigningKeys = configuration.SigningKeys;
        parameters.ValidAudience = oidc.ClientId;
        var validated = await new JsonWebTokenHandler().ValidateTokenAsync(answer.IdToken, parameters);
        if (!validated.IsValid)
        {
            return SessionCheck.Ended("the new ID token did not validate");
        }

        var current = ConsolePrincipal.RolesIn(new System.Security.Claims.ClaimsPrincipal(validated.ClaimsIdentity));
        return SessionCheck.RolesMatch(roles, current)
            ? SessionCheck.Continues(string.IsNullOrEmpty(answer.RefreshToken) ? refreshToken : answer.RefreshToken, answer.IdToken)
            : SessionCheck.Ended($"the roles changed ({string.Join(',', roles)} → {string.Join(',', current)})");
    }
}
