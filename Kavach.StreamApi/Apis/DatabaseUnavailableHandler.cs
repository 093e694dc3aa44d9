using Kavach.StreamApi.Module;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// PostgreSQL unreachable, out of connections, shutting down or too slow, or an emit whose outcome the database
/// could not confirm: answer 503 with Retry-After and the event ids to send again (retrying with the same ids is
/// always safe) rather than a bare 500. Only real unavailability: a value PostgreSQL refuses is the client's to fix
/// (<see cref="ClientInputExceptionHandler"/>), and a retry would fail again.
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
        if (context.Response.HasStarted)
        {
            return false;
        }

        var (title, detail, extensions) = exception switch
        {
            EmitUnavailableException emit => (emit.Title, emit.Message, new Dictionary<string, object?>
            {
                [KavachProblem.IdsField] = emit.Ids,
                [KavachProblem.MayBeStoredField] = emit.MayBeStored,
            }),
            _ when IsUnavailable(exception) => ("Event store unavailable",
                "PostgreSQL could not be reached. Nothing was stored by this request; retry it (with the same event ids).",
                new Dictionary<string, object?>()),
            _ => (null, null, null),
        };

        if (title is null)
        {
            return false;
        }

        logger.LogWarning(exception, "{Title}", title);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "2";
        var problem = new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = title, Detail = detail },
        };
        foreach (var (key, value) in extensions!)
        {
            problem.ProblemDetails.Extensions[key] = value;
        }

        return await problems.TryWriteAsync(problem);
    }
}
