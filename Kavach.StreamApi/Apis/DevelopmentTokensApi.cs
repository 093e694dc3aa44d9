using System.Net;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// Development only: hands out tokens signed with the configured key, so a developer can try the stream with curl, a
/// browser or Node. Never mapped outside the Development environment, and out of reach of other web pages: it takes a
/// JSON body (so a browser must ask first — and CORS never says yes here), and answers loopback callers addressing
/// the API by a loopback name only.
/// </summary>
public static class DevelopmentTokensApi
{
    public static IEndpointRouteBuilder MapDevelopmentTokensApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(KavachRoutes.DevelopmentTokens, IssueToken)
            .WithName("IssueDevelopmentToken").WithTags("Development")
            .WithSummary("Development only: a token for 'subject' with the space-separated 'scope' and optional read grants.")
            // The body is read by hand: declaring it (a parameter, or Accepts) would let routing answer another media
            // type from its own 415 endpoint, which has no DisableCors and so would carry the default CORS headers.
            .WithMetadata(new Microsoft.AspNetCore.Cors.DisableCorsAttribute()) // no browser on another origin may call it
            .WithLimits(LimitedEndpoint.DevelopmentTokens);
        return app;
    }

    public static async Task<Results<Ok<DevelopmentToken>, ProblemHttpResult>> IssueToken(
        HttpContext context, IOptions<AuthOptions> auth)
    {
        if (!IsLoopback(context))
        {
            return Problems.Forbidden("Development tokens are issued to this machine only: call http://localhost (or 127.0.0.1) from it.");
        }

        const string Example = "Send a JSON body with 'Content-Type: application/json', e.g. {\"subject\":\"me\",\"scope\":\"events:read\"}.";
        if (!context.Request.HasJsonContentType())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", detail: Example);
        }

        DevelopmentTokenRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<DevelopmentTokenRequest>(context.RequestAborted);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"The body is not a token request: {e.Message} {Example}");
        }

        if (request is null)
        {
            return Problems.BadRequest(Example);
        }

        if (string.IsNullOrEmpty(auth.Value.SigningKey))
        {
            return Problems.BadRequest("No Kavach:Auth:SigningKey is configured, so no development token can be signed.");
        }

        if (request.Minutes is < 1 or > 24 * 60)
        {
            return Problems.BadRequest("'minutes' must be between 1 and 1440.");
        }

        if (request.Subject is not null && Events.IdText.Check(request.Subject) is { } subjectError)
        {
            return Problems.BadRequest($"'subject': {subjectError}");
        }

        var subject = request.Subject ?? "developer";
        var lifetime = TimeSpan.FromMinutes(request.Minutes ?? 60);
        var scopes = (request.Scope ?? KavachScopes.Read).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var grants = request.Types is null && request.Agents is null && request.Users is null && request.SubjectIs is null
            ? null
            : new TokenGrants(request.Types, request.Agents, request.Users, request.SubjectIs);
        var token = KavachTokens.Issue(auth.Value.SigningKey, subject, scopes, lifetime, auth.Value.OwnIssuer, auth.Value.Audience, grants);
        return TypedResults.Ok(new DevelopmentToken(token, subject, scopes, DateTimeOffset.UtcNow + lifetime));
    }

    /// <summary>
    /// A caller on this machine, using a loopback host name: a remote caller, or a page that rebinds its own DNS name to
    /// 127.0.0.1, is refused.
    /// </summary>
    private static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)
        && context.Request.Host.Host is "localhost" or "127.0.0.1" or "[::1]" or "::1";
}

/// <summary>What a development token should carry: see docs/api.md ("Scopes and claims").</summary>
public sealed record DevelopmentTokenRequest(
    string? Subject = null,
    string? Scope = null,
    int? Minutes = null,
    string[]? Types = null,
    string[]? Agents = null,
    string[]? Users = null,
    string? SubjectIs = null);

public sealed record DevelopmentToken(string Token, string Subject, string[] Scopes, DateTimeOffset ExpiresAt);
