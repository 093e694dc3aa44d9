using Kavach.StreamApi.Persistence;
using Microsoft.AspNetCore.Diagnostics;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// PostgreSQL unreachable, out of connections, shutting down or too slow: answer 503 with Retry-After rather than a
/// bare 500 (an emit says so itself, with its ids: <see cref="Emit.EmitOutcome.Unavailable"/>). Only real unavailability: a value PostgreSQL refuses is the client's to fix
/// (<see cref="ClientInputExceptionHandler"/>), and a retry would fail again.
/// </summary>
public sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }

        if (!DatabaseFailures.IsUnavailable(exception))
        {
            return false;
        }

        const string title = "Event store unavailable";
        logger.LogWarning(exception, "{Title}", title);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "2";
        var problem = new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = title,
                Detail = "PostgreSQL could not be reached. Nothing was stored by this request; retry it (with the same event ids).",
            },
        };
        return await problems.TryWriteAsync(problem);
    }
}
