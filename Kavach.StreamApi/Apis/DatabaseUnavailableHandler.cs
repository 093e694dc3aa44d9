using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// PostgreSQL unreachable or too slow: answer 503 with Retry-After (nothing was stored, retrying is safe since
/// ids make emits idempotent) rather than a bare 500.
/// </summary>
public sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (NpgsqlException or TimeoutException) || context.Response.HasStarted)
        {
            return false;
        }

        logger.LogWarning(exception, "The event store is unavailable");
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "2";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Event store unavailable",
                Detail = "PostgreSQL could not be reached. Nothing was stored by this request; retry it (with the same event ids).",
            },
        });
    }
}
