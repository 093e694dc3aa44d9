using System.Buffers;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Module;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Streaming;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kavach.StreamApi.Apis;

/// <summary>Every HTTP route of the stream API.</summary>
public static class EventsApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Events).WithTags("Events");

        api.MapGet("/stream", StreamEndpoint.StreamAsync)
            .WithName("Stream").WithSummary("Server-Sent Events: replay what was missed, then live events.")
            .ExcludeFromDescription();

        api.MapPost("/", EmitAsync)
            .WithName("Emit").WithSummary("Commit one event or a batch, then answer with their sequences.")
            .AddEndpointFilter(new RequireToken(KavachScopes.Emit)).WithLimits(LimitedEndpoint.Emit)
            .Accepts<JsonElement>("application/json");

        api.MapGet("/", Page)
            .WithName("Page").WithSummary("Committed events in ascending sequence order, a page at a time.")
            .AddEndpointFilter(new RequireToken(KavachScopes.Read)).WithLimits(LimitedEndpoint.Pages);

        api.MapGet("/replay", Replay)
            .WithName("Replay").WithSummary("Up to 1000 events at or after 'since', newest first.")
            .AddEndpointFilter(new RequireToken(KavachScopes.Read)).WithLimits(LimitedEndpoint.Replay);

        api.MapGet("/stream/connections", ConnectionsAsync)
            .WithName("Connections").WithSummary("Open streams on this replica and on all replicas.")
            .AddEndpointFilter(new RequireToken(KavachScopes.Read));

        return app;
    }

    public static async Task<Results<Created<EmitAnswer>, ValidationProblem, ProblemHttpResult>> EmitAsync(
        HttpContext context, EventStreamModule module, IOptions<StreamOptions> options)
    {
        var limit = options.Value.MaxRequestBytes;
        if (context.Request.ContentLength > limit)
        {
            return Problems.TooLarge($"The body is larger than {limit} bytes.");
        }

        if (UnsupportedContentType(context.Request.ContentType) is { } unsupported)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: unsupported);
        }

        // Sized by Content-Length when it is sent, and read through a pooled buffer: an emit of one event is a few hundred bytes.
        using var body = new MemoryStream(context.Request.ContentLength is { } length ? (int)length : 0);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (body.Length + read > limit)
                {
                    return Problems.TooLarge($"The body is larger than {limit} bytes.");
                }

                body.Write(buffer, 0, read);
            }
        }
        catch (IOException e) when (e is not BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
        {
            // Kestrel reports some broken chunked framing (a chunk size that overflows) as a plain IOException.
            return Problems.BadRequest($"The request body could not be read: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!EmitRequestReader.TryParse(body.GetBuffer().AsMemory(0, (int)body.Length), out var document, out var bodyError))
        {
            return Problems.BadRequest(bodyError!);
        }

        using (document)
        {
            var errors = new Dictionary<string, string[]>();
            var (drafts, isBatch) = EmitRequestReader.Read(document!.RootElement, errors);
            // The request's cancellation is not passed on: an emit that has started is finished and answered.
            var outcome = await module.EmitAsync(drafts, context.GetSubscriber().AsEmitter(), isBatch, errors, CancellationToken.None);
            return outcome switch
            {
                EmitOutcome.Emitted emitted => TypedResults.Created(KavachRoutes.Events, new EmitAnswer(emitted.Events)),
                EmitOutcome.Forbidden forbidden => Problems.Forbidden(
                    string.Join(" ", forbidden.Errors.Select(f => $"{f.Key}: {string.Join(" ", f.Value)}")) + " Nothing was stored."),
                EmitOutcome.Rejected { Rejection.TooLarge: true } tooLarge => Problems.TooLarge(string.Join(" ", tooLarge.Rejection.Errors.SelectMany(e => e.Value))),
                EmitOutcome.Rejected rejected => Problems.Invalid(rejected.Rejection.Errors),
                EmitOutcome.Conflict conflict => Problems.Conflict(
                    $"The id(s) {string.Join(", ", conflict.Ids.Select(id => $"'{id}'"))} belong to events another emitter stored. Nothing was stored: use new ids. " +
                    "An event id is its emitter's: a retry with the same id by the same token's subject is safe."),
                EmitOutcome.Unavailable unavailable => Problems.EmitUnavailable(context, unavailable.Title, unavailable.Detail, unavailable.Ids, unavailable.MayBeStored),
                _ => throw new InvalidOperationException($"Unknown emit outcome {outcome}."),
            };
        }
    }

    public static Results<StoredEventsResult, ProblemHttpResult> Page(
        HttpContext context, EventStore store, EventTypeFilter moduleTypes,
        long? after, string? types, string? agentId, string? userId, string? since, string? until, int? limit, string? q)
    {
        if (after is < 0)
        {
            return Problems.BadRequest("'after' must be a non-negative sequence (0 starts at the beginning).");
        }

        if (limit is < 1 or > MaxPageSize)
        {
            return Problems.BadRequest($"'limit' must be between 1 and {MaxPageSize}.");
        }

        if (!TryParseOptionalTimestamp(since, "since", out var sinceValue, out var error)
            || !TryParseOptionalTimestamp(until, "until", out var untilValue, out error))
        {
            return Problems.BadRequest(error!);
        }

        string? pattern = null;
        if (q is not null && (pattern = SearchText.ToPattern(q, out var qError)) is null)
        {
            return Problems.BadRequest(qError!);
        }

        if (ScopeOf(context, moduleTypes, types, agentId, userId, out var scope) is { } refused)
        {
            return refused;
        }

        var size = limit ?? DefaultPageSize;
        return StoredEventsResult.Page(store.ReadEachAsync(
            new EventQuery(after ?? 0, size + 1, scope, Since: sinceValue, Until: untilValue, TextPattern: pattern),
            fromHistoryPool: true, context.RequestAborted), size);
    }

    public static Results<StoredEventsResult, ProblemHttpResult> Replay(
        HttpContext context, EventStreamModule module, EventTypeFilter moduleTypes, string? since, string? types)
    {
        if (since is null)
        {
            return Problems.BadRequest("'since' is required: an ISO-8601 timestamp with an offset, e.g. 2026-01-15T10:00:00Z.");
        }

        if (!TryParseOptionalTimestamp(since, "since", out var sinceValue, out var error))
        {
            return Problems.BadRequest(error!);
        }

        if (ScopeOf(context, moduleTypes, types, agentId: null, userId: null, out var scope) is { } refused)
        {
            return refused;
        }

        return StoredEventsResult.Replay(module.ReplayEachAsync(sinceValue!.Value, scope, context.RequestAborted));
    }

    /// <summary>
    /// The read scope of a request: the caller's token grant narrowed by the request's filters — the same rules as the
    /// stream's (<see cref="ReadScope.TryCreate"/>). A problem (400 or 403) when the request cannot be served.
    /// </summary>
    internal static ProblemHttpResult? ScopeOf(HttpContext context, EventTypeFilter moduleTypes, string? types, string? agentId,
        string? userId, out ReadScope scope)
    {
        scope = ReadScope.Module(moduleTypes);
        foreach (var (name, value) in new[] { ("agentId", agentId), ("userId", userId) })
        {
            // The emit rule for ids: a value it refuses (a NUL, say) could match nothing, and PostgreSQL rejects some.
            if (value is not null && IdText.Check(value) is { } textError)
            {
                return Problems.BadRequest($"'{name}': {textError}");
            }
        }

        if (!ReadScope.TryCreate(moduleTypes, context.GetSubscriber().Reads, types, agentId, userId,
                out scope, out var badRequest, out var forbidden))
        {
            return forbidden is not null ? Problems.Forbidden(forbidden) : Problems.BadRequest(badRequest!);
        }

        return null;
    }

    public static async Task<Ok<StreamConnections>> ConnectionsAsync(HttpContext context, EventStreamModule module) =>
        TypedResults.Ok(new StreamConnections(module.ConnectionCount, await module.CountAllConnectionsAsync(context.RequestAborted)));

    /// <summary>Null for a JSON media type in UTF-8 (or none), otherwise why the body cannot be read.</summary>
    private static string? UnsupportedContentType(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Value!.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return "Send the events as JSON with 'Content-Type: application/json'.";
        }

        return mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            && !mediaType.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? $"The body must be UTF-8 JSON; charset '{mediaType.Charset}' is not supported."
            : null;
    }

    private static bool TryParseOptionalTimestamp(string? value, string name, out DateTimeOffset? timestamp, out string? error)
    {
        timestamp = null;
        error = null;
        if (value is null)
        {
            return true;
        }

        if (StreamCursor.TryParseTimestamp(value, out var parsed))
        {
            timestamp = parsed;
            return true;
        }

        error = $"'{name}' must be an ISO-8601 timestamp with an offset, e.g. 2026-01-15T10:00:00Z.";
        return false;
    }
}

