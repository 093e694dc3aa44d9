using Kavach.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>RFC 7807 answers that say what was wrong and how to fix it (a token's own refusals: <see cref="Auth.TokenRefusals"/>).</summary>
public static class Problems
{
    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    public static ProblemHttpResult Forbidden(string detail) => Auth.TokenRefusals.Forbidden(detail);

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

    /// <summary>503 for an emit: the ids to send again (a retry with them is always safe) and whether they may be stored already.</summary>
    public static ProblemHttpResult EmitUnavailable(HttpContext context, string title, string detail, IReadOnlyList<string> ids, bool mayBeStored)
    {
        SetRetryAfter(context, TimeSpan.FromSeconds(2));
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail,
            extensions: new Dictionary<string, object?> { [KavachProblem.IdsField] = ids, [KavachProblem.MayBeStoredField] = mayBeStored });
    }

    private static void SetRetryAfter(HttpContext context, TimeSpan retryAfter) => ServiceDefaults.Limits.RetryAfter.Set(context.Response, retryAfter);
}
