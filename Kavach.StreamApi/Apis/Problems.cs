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
        _ => "Invalid token",
    };

    public static ProblemHttpResult Unauthorized(HttpContext context, TokenProblem problem)
    {
        context.Response.Headers.WWWAuthenticate = InvalidTokenChallenge;
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: TokenMessage(problem),
            detail: "Send a valid token as 'Authorization: Bearer <token>' (or the 'token' query parameter on the stream).");
    }

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
