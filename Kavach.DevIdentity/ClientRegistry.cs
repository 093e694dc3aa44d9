using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kavach.DevIdentity;

/// <summary>
/// The clients the provider serves, from configuration (OpenIddict's degraded mode keeps no application store): each
/// request must name a known client, its exact redirect URI, and — at the token endpoint — its secret.
/// </summary>
public static class ClientRegistry
{
    public static OpenIddictServerBuilder ValidateClientsFromConfiguration(this OpenIddictServerBuilder server)
    {
        server.AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(handler => handler.UseInlineHandler(context =>
        {
            var client = Find(context, context.ClientId);
            if (client is null)
            {
                context.Reject(Errors.InvalidClient, "The client_id is not a registered client.");
            }
            else if (!client.RedirectUris.Contains(context.RedirectUri ?? "", StringComparer.Ordinal))
            {
                context.Reject(Errors.InvalidRequest, "The redirect_uri is not registered for this client.");
            }

            return default;
        }));

        server.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(handler => handler.UseInlineHandler(context =>
        {
            var client = Find(context, context.ClientId);
            if (client is null || string.IsNullOrEmpty(client.Secret) || !SecretMatches(context.ClientSecret, client.Secret))
            {
                context.Reject(Errors.InvalidClient, "The client is not registered or its secret is not right.");
            }

            return default;
        }));

        server.AddEventHandler<OpenIddictServerEvents.ValidateEndSessionRequestContext>(handler => handler.UseInlineHandler(context =>
        {
            if (context.PostLogoutRedirectUri is { } target
                && !Clients(context).Any(c => c.PostLogoutRedirectUris.Contains(target, StringComparer.Ordinal)))
            {
                context.Reject(Errors.InvalidRequest, "The post_logout_redirect_uri is not registered.");
            }

            return default;
        }));
        return server;
    }

    private static DevClient? Find(OpenIddictServerEvents.BaseContext context, string? clientId) =>
        Clients(context).FirstOrDefault(c => string.Equals(c.Id, clientId, StringComparison.Ordinal));

    private static List<DevClient> Clients(OpenIddictServerEvents.BaseContext context) =>
        context.Transaction.GetHttpRequest()!.HttpContext.RequestServices
            .GetRequiredService<IOptionsMonitor<DevIdentityOptions>>().CurrentValue.Clients;

    private static bool SecretMatches(string? candidate, string expected) => CryptographicOperations.FixedTimeEquals(
        SHA256.HashData(Encoding.UTF8.GetBytes(candidate ?? "")), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
