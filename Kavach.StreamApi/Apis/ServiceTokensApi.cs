using System.Security.Cryptography;
using System.Text;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>POST /api/kavach/tokens</c>: OAuth 2.0 client credentials for the service clients named in
/// <c>Kavach:Auth:Clients</c> (the console, a CI job). A client proves itself with its secret and gets a short-lived
/// token with at most the scopes it is allowed — so no service but the API holds the signing key, and a leaked client
/// secret is worth only that client's scopes. Mapped only when the API signs its own tokens.
/// </summary>
public static class ServiceTokensApi
{
    /// <summary>The API's own token endpoints: for service clients when any are configured, for developers in Development.</summary>
    public static WebApplication MapTokenIssuers(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Clients.Count > 0)
        {
            app.MapServiceTokensApi();
        }

        if (app.Environment.IsDevelopment())
        {
            app.MapDevelopmentTokensApi();
        }

        return app;
    }

    public static IEndpointRouteBuilder MapServiceTokensApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(KavachRoutes.Tokens, IssueAsync)
            .WithName("IssueServiceToken").WithTags("Tokens")
            .WithSummary("OAuth 2.0 client credentials: a short-lived token for a configured service client.")
            .Accepts<IFormCollection>("application/x-www-form-urlencoded")
            .WithMetadata(new Microsoft.AspNetCore.Cors.DisableCorsAttribute()) // no browser on another origin may call it
            .WithLimits(LimitedEndpoint.ServiceTokens);
        return app;
    }

    public static async Task<Results<Ok<ServiceToken>, ProblemHttpResult>> IssueAsync(HttpContext context, IOptions<AuthOptions> options,
        SubjectLimits limits)
    {
        var auth = options.Value;
        if (!context.Request.HasFormContentType)
        {
            return Problems.BadRequest("Send 'grant_type=client_credentials', 'client_id', 'client_secret' and optionally 'scope' as application/x-www-form-urlencoded.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["grant_type"] != "client_credentials")
        {
            return Problems.BadRequest("'grant_type' must be 'client_credentials'.");
        }

        var client = auth.Clients.FirstOrDefault(c => c.Id == form["client_id"]);
        if (client is null || !SecretsMatch(client.Secret, form["client_secret"].ToString()) || string.IsNullOrEmpty(auth.SigningKey))
        {
            context.Response.Headers.WWWAuthenticate = "Basic";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid client",
                detail: "Unknown client_id or wrong client_secret.");
        }

        // Counted only once the secret matched: a flood naming this client without its secret cannot use up its allowance.
        if (limits.Check(context, LimitedEndpoint.ServiceTokens, client.Id) is { } tooMany)
        {
            return tooMany;
        }

        var allowed = client.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var asked = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (asked.FirstOrDefault(s => !allowed.Contains(s)) is { } refused)
        {
            return Problems.Forbidden($"Client '{client.Id}' may not have the '{refused}' scope.");
        }

        var scopes = asked.Length > 0 ? asked : allowed;
        var token = KavachTokens.Issue(auth.SigningKey, client.Id, scopes, auth.ClientTokenLifetime, auth.OwnIssuer, auth.Audience);
        return TypedResults.Ok(new ServiceToken(token, "Bearer", (int)auth.ClientTokenLifetime.TotalSeconds, string.Join(' ', scopes)));
    }

    private static bool SecretsMatch(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(given)));
}

/// <summary>The OAuth 2.0 token response.</summary>
public sealed record ServiceToken(
    [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn,
    [property: System.Text.Json.Serialization.JsonPropertyName("scope")] string Scope);
