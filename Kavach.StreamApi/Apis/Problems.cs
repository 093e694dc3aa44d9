using Kavach.StreamApi.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>RFC 7807 answers that say what was wrong and how to fix it.</summary>
public static class Problems
{
    public const string InvalidTokenChallenge = "Bearer error=\"invalid_token\"";

    public static string TokenMessage(TokenProblem problem) => problem switch
    {
        TokenProblem.Missing => "Bearer token required",
        TokenProblem.Revoked => "Token revoked",
        TokenProblem.Unverifiable => "Token cannot be checked now",
        _ => "Invalid token",
    };

    /// <summary>What to do about it: the token's own problem when the validator could name it.</summary>
    public static string TokenDetail(TokenProblem problem, string? detail) => problem switch
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
            return Unavailable(context, TokenMessage(problem), TokenDetail(problem, detail), TimeSpan.FromSeconds(1));
        }

        context.Response.Headers.WWWAuthenticate = InvalidTokenChallenge;
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: TokenMessage(problem),
            detail: TokenDetail(problem, detail));
    }

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: detail);

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request has invalid fields", detail: "Nothing was stored.");

    public static ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large", detail: detail + " Nothing was stored.");

    public static ProblemHttpResult NotAcceptable(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status406NotAcceptable, title: "Not acceptable", detail: detail);

    /// <summary>429: a per-client limit, as opposed to the replica being full (503).</summary>
    public static ProblemHttpResult TooManyRequests(HttpContext context, string title, string detail, TimeSpan retryAfter)
    {
        SetRetryAfter(context, retryAfter);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: title, detail: detail);
    }

    public static ProblemHttpResult Unavailable(HttpContext context, string title, string detail, TimeSpan retryAfter)
    {
        SetRetryAfter(context, retryAfter);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }

    private static void SetRetryAfter(HttpContext context, TimeSpan retryAfter) => ServiceDefaults.Limits.RetryAfter.Set(context.Response, retryAfter);
}
