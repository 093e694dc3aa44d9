using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// Exceptions that mean the request was bad, answered with their 4xx and a problem body instead of a 500:
/// Kestrel's and minimal APIs' <see cref="BadHttpRequestException"/> (a broken chunked body, a body shorter than its
/// Content-Length, a query value that does not bind), and, as a safety net behind the emit rules, a value PostgreSQL
/// refuses (SQLSTATE class 22 data exception, 54 program limit) — a 503 there would have clients retry a bad event
/// forever. A transaction that fails stores nothing, so a rejected batch leaves nothing behind.
/// </summary>
public sealed class ClientInputExceptionHandler(IProblemDetailsService problems, ILogger<ClientInputExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted || Describe(exception) is not ({ } described))
        {
            return false;
        }

        var (status, detail) = described;

        logger.LogInformation("Refused a request with {Status}: {Detail}", status, detail);
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = status,
                Title = ReasonPhrases.GetReasonPhrase(status),
                Detail = detail,
            },
        });
    }

    /// <summary>The 4xx and what to tell the client, or null when the exception is not about the request.</summary>
    public static (int Status, string Detail)? Describe(Exception exception) => exception switch
    {
        BadHttpRequestException bad => (bad.StatusCode, bad.Message),
        PostgresException postgres when postgres.SqlState.StartsWith("22", StringComparison.Ordinal)
                || postgres.SqlState.StartsWith("54", StringComparison.Ordinal) =>
            (StatusCodes.Status400BadRequest,
                $"PostgreSQL refused a value in this request ({postgres.SqlState}: {postgres.MessageText}). Nothing was stored; " +
                "fix the value rather than retrying."),
        EncoderFallbackException =>
            (StatusCodes.Status400BadRequest, "A text value in this request is not valid Unicode (an unpaired UTF-16 surrogate). Nothing was stored."),
        _ => null,
    };
}
