using Kavach.ServiceDefaults.Auth;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// Development only: hands out tokens signed with the configured key, so a developer can try the stream with curl,
/// a browser or Node. Never mapped outside the Development environment.
/// </summary>
public static class DevelopmentTokensApi
{
    public static IEndpointRouteBuilder MapDevelopmentTokensApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/kavach/dev/tokens", IssueToken)
            .WithName("IssueDevelopmentToken").WithTags("Development")
            .WithSummary("Development only: a token for 'subject' with the space-separated 'scope'.");
        return app;
    }

    public static Results<Ok<DevelopmentToken>, ProblemHttpResult> IssueToken(
        IOptions<AuthOptions> auth, string? subject, string? scope, int? minutes)
    {
        if (string.IsNullOrEmpty(auth.Value.SigningKey))
        {
            return Problems.BadRequest("No Kavach:Auth:SigningKey is configured, so no development token can be signed.");
        }

        if (minutes is < 1 or > 24 * 60)
        {
            return Problems.BadRequest("'minutes' must be between 1 and 1440.");
        }

        var lifetime = TimeSpan.FromMinutes(minutes ?? 60);
        var scopes = (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var token = KavachTokens.Issue(auth.Value.SigningKey, subject ?? "developer", scopes, lifetime,
            auth.Value.Issuer, auth.Value.Audience);
        return TypedResults.Ok(new DevelopmentToken(token, subject ?? "developer", scopes, DateTimeOffset.UtcNow + lifetime));
    }
}

public sealed record DevelopmentToken(string Token, string Subject, string[] Scopes, DateTimeOffset ExpiresAt);
