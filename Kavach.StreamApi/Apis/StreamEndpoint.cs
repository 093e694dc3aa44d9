using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Streaming;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>GET /api/kavach/events/stream</c>: the gate in front of a <see cref="StreamSession"/> — media type, token,
/// filters, cursor, readiness and admission — each refusal a clear answer before any event is written.
/// </summary>
public static class StreamEndpoint
{
    public static async Task StreamAsync(HttpContext context, AccessCheck access, StreamMetrics metrics,
        StreamAdmission admission, EventTypeFilter moduleTypes, StreamSession session, EventHub hub, IOptions<StreamOptions> options)
    {
        if (!AcceptsEventStream(context.Request))
        {
            await Problems.NotAcceptable("This endpoint streams Server-Sent Events: send 'Accept: text/event-stream'.")
                .ExecuteAsync(context);
            return;
        }

        var checkedAccess = await access.CheckAsync(context, KavachScopes.Read);
        if (checkedAccess.Subscriber is not { } subscriber)
        {
            if (checkedAccess.Unauthorized == TokenProblem.Unverifiable && checkedAccess.Forbidden is null)
            {
                metrics.Rejected("revocations_unknown");
                await TokenRefusals.Unauthorized(context, checkedAccess.Unauthorized).ExecuteAsync(context);
                return;
            }

            metrics.Rejected(checkedAccess.Forbidden is not null ? "forbidden"
                : checkedAccess.Unauthorized == TokenProblem.Revoked ? "revoked" : "unauthorized");
            await WriteStreamErrorAsync(context, checkedAccess);
            return;
        }

        var query = context.Request.Query;
        context.SetSubscriber(subscriber);
        if (EventsApi.ScopeOf(context, moduleTypes, query["types"], Single(query["agentId"]), Single(query["userId"]), out var scope)
            is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }

        var withCheckpoints = false;
        if (Single(query["checkpoints"]) is { } checkpointsValue && !bool.TryParse(checkpointsValue, out withCheckpoints))
        {
            await Problems.BadRequest("'checkpoints' is true or false.").ExecuteAsync(context);
            return;
        }

        if (!StreamCursor.TryParse(context.Request.Headers["Last-Event-ID"], context.Request.Query["lastEventId"],
                context.Request.Query["since"], out var cursor, out var cursorError))
        {
            await Problems.BadRequest(cursorError!).ExecuteAsync(context);
            return;
        }

        if (!hub.Ready.IsCompletedSuccessfully)
        {
            // Until the hub knows the stream position, a resume could not be made gap-free.
            await Problems.Unavailable(context, "Starting up", "This replica is not serving streams yet. Retry shortly.",
                options.Value.ReconnectDelay).ExecuteAsync(context);
            return;
        }

        var address = context.Connection.RemoteIpAddress?.ToString();
        var subject = subscriber.IsAnonymous ? null : subscriber.Id;
        var admitted = admission.TryAdmit(address, subject);
        if (admitted != Admission.Admitted)
        {
            await RefuseAsync(context, admitted, metrics, options.Value);
            return;
        }

        try
        {
            metrics.ConnectionOpened();
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache, no-store, no-transform";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
            await session.RunAsync(context, subscriber, scope, cursor, withCheckpoints);
        }
        finally
        {
            admission.Release(address, subject);
            metrics.ConnectionClosed();
        }
    }

    private static Task RefuseAsync(HttpContext context, Admission admitted, StreamMetrics metrics, StreamOptions options)
    {
        var (reason, title, detail) = admitted switch
        {
            Admission.Full => ("limit", "Too many connections",
                $"This replica holds its maximum of {options.MaxConnections} streams. Retry shortly."),
            Admission.AddressFull => ("address_limit", "Too many connections from this address",
                $"This replica holds its maximum of {options.MaxConnectionsPerAddress} streams from one client address. Close one or retry later."),
            Admission.SubjectFull => ("subject_limit", "Too many connections for this token's subject",
                $"This replica holds its maximum of {options.MaxConnectionsPerSubject} streams for one subject. Close one or retry later."),
            _ => ("closed", "Shutting down", "This replica is shutting down. Reconnect (another replica will answer)."),
        };
        metrics.Rejected(reason);
        return admitted is Admission.AddressFull or Admission.SubjectFull
            ? Problems.TooManyRequests(context, title, detail, options.ReconnectDelay).ExecuteAsync(context)
            : Problems.Unavailable(context, title, detail, options.ReconnectDelay).ExecuteAsync(context);
    }

    private static bool AcceptsEventStream(HttpRequest request)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0)
        {
            return true;
        }

        return MediaTypeHeaderValue.TryParseList(accept, out var types)
            && types.Any(t => (t.Quality ?? 1) > 0
                && (t.MediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase)
                    || t.MediaType.Equals("text/*", StringComparison.OrdinalIgnoreCase)
                    || t.MediaType.Equals("*/*", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// 401 or 403 with an SSE body holding one <c>error</c> event: EventSource stops retrying, and fetch-based clients
    /// still read the reason (<c>UNAUTHORIZED</c>, <c>TOKEN_REVOKED</c> or <c>FORBIDDEN</c>).
    /// </summary>
    private static async Task WriteStreamErrorAsync(HttpContext context, Access refused)
    {
        var (status, code, message) = refused.Forbidden is { } forbidden
            ? (StatusCodes.Status403Forbidden, StreamErrorCodes.Forbidden, forbidden)
            : (StatusCodes.Status401Unauthorized, refused.Unauthorized == TokenProblem.Revoked ? StreamErrorCodes.TokenRevoked : StreamErrorCodes.Unauthorized,
                TokenRefusals.Message(refused.Unauthorized));
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = TokenRefusals.InvalidTokenChallenge;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache, no-store, no-transform";
        // "message" is the short reason clients show; "detail", when there is one, says what is wrong with the token.
        await context.Response.Body.WriteAsync(SseFrames.Error(new StreamError(code, message) { Detail = refused.Detail }), context.RequestAborted);
    }

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count == 0 || string.IsNullOrEmpty(values[0]) ? null : values[0];
}
