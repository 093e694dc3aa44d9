using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// PostgreSQL unreachable, out of connections, shutting down or too slow: answer 503 with Retry-After (nothing was
/// stored, retrying is safe since ids make emits idempotent) rather than a bare 500. Only real unavailability: a value
/// PostgreSQL refuses is the client's to fix (<see cref="ClientInputExceptionHandler"/>), and a retry would fail again.
/// </summary>
public sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>
    /// SQLSTATE classes that mean "not now": connection exception (08), transaction rollback such as a deadlock (40),
    /// insufficient resources such as too many connections (53), object not in prerequisite state (55: lock not
    /// available), operator intervention such as shutdown or a statement timeout (57), system error (58).
    /// </summary>
    private static readonly string[] UnavailableClasses = ["08", "40", "53", "55", "57", "58"];

    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => UnavailableClasses.Contains(postgres.SqlState[..2]),
        NpgsqlException or TimeoutException => true,
        _ => false,
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception) || context.Response.HasStarted)
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
