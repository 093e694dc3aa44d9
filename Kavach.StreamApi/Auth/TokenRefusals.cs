using Kavach.ServiceDefaults.Limits;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// The RFC 7807 answers to a token that cannot be served, saying what was wrong with it and what to do: 401 for a
/// missing, invalid or revoked token, 503 when its revocation cannot be checked, 403 when it does not grant the request.
/// </summary>
public static class TokenRefusals
{
    public const string InvalidTokenChallenge = "Bearer error=\"invalid_token\"";

    /// <summary>How long a client waits before asking again when revocations cannot be read.</summary>
    private static readonly TimeSpan UnverifiableRetryAfter = TimeSpan.FromSeconds(1);

    public static string Message(TokenProblem problem) => problem switch
    {
        TokenProblem.Missing => "Bearer token required",
        TokenProblem.Revoked => "Token revoked",
        TokenProblem.Unverifiable => "Token cannot be checked now",
        _ => "Invalid token",
    };

    /// <summary>What to do about it: the token's own problem when the validator could name it.</summary>
    public static string Detail(TokenProblem problem, string? detail) => problem switch
    {
        TokenProblem.Unverifiable => "This replica cannot read revocations from its database right now, so it cannot tell whether the " +
            "token was revoked; it refuses rather than guess. Retry shortly.",
        TokenProblem.Revoked => "This token, its subject or the agent it speaks for was revoked. Get a new token.",
        _ => (detail is null ? "" : detail + " ") +
            "Send a valid token as 'Authorization: Bearer <token>' (or the 'token' query parameter on the stream).",
    };

    /// <summary>401 for a missing, invalid or revoked token; 503 (with Retry-After) when its revocation cannot be checked.</summary>
    public static ProblemHttpResult Unauthorized(HttpContext context, TokenProblem problem, string? detail = null)
    {
        if (problem == TokenProblem.Unverifiable)
        {
            RetryAfter.Set(context.Response, UnverifiableRetryAfter);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: Message(problem),
                detail: Detail(problem, detail));
        }

        context.Response.Headers.WWWAuthenticate = InvalidTokenChallenge;
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: Message(problem), detail: Detail(problem, detail));
    }

    /// <summary>403: the token is good but does not grant what the request asks (a scope, or more than its reads).</summary>
    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);
}
