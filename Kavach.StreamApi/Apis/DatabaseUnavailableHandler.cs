using Kavach.StreamApi.Persistence;
using Microsoft.AspNetCore.Diagnostics;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// PostgreSQL unreachable, out of connections, shutting down or too slow, or an emit whose outcome the database
/// could not confirm: answer 503 with Retry-After and the event ids to send again (retrying with the same ids is
/// always safe) rather than a bare 500. Only real unavailability: a value PostgreSQL refuses is the client's to fix
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

        var (title, detail, extensions) = exception switch
        {
            EmitUnavailableException emit => (emit.Title, emit.Message, new Dictionary<string, object?>
            {
                [KavachProblem.IdsField] = emit.Ids,
                [KavachProblem.MayBeStoredField] = emit.MayBeStored,
            }),
            _ when DatabaseFailures.IsUnavailable(exception) => ("Event store unavailable",
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
