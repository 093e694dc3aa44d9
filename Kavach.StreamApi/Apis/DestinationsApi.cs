using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>/api/kavach/destinations</c> (scope <c>events:admin</c>): every push destination — webhooks and SSF streams — with
/// where its cursor stands against the log, and pause, resume and redeliver for any kind (the console's view,
/// docs/webhooks.md). The same state changes serve <see cref="WebhooksApi"/> for webhooks alone.
/// </summary>
public static class DestinationsApi
{
    public static IEndpointRouteBuilder MapDestinationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Destinations).WithTags("Destinations").AddEndpointFilter(new RequireToken(KavachScopes.Admin));
        api.MapGet("/", ListAsync)
            .WithName("Destinations").WithSummary("Every push destination, webhooks and SSF streams, with its lag, state and last error.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/pause", PauseAsync)
            .WithName("PauseDestination").WithSummary("Stop sending to a destination; its cursor stays, so resuming sends what it missed.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/resume", ResumeAsync)
            .WithName("ResumeDestination").WithSummary("Send again from the cursor (a disabled SSF stream resumes at the log's head).")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/redeliver", RedeliverAsync)
            .WithName("RedeliverDestination").WithSummary("Move the cursor back: everything from 'fromSequence' on is sent again.")
            .WithLimits(LimitedEndpoint.Destinations);
        return app;
    }

    public static async Task<Ok<DestinationList>> ListAsync(HttpContext context, DestinationStore store, DestinationViews views) =>
        TypedResults.Ok(new DestinationList(await views.ViewAsync(await store.ListAsync(null, context.RequestAborted), context.RequestAborted)));

    public static Task<Results<Ok<DestinationView>, ProblemHttpResult>> PauseAsync(HttpContext context, DestinationStore store, DestinationViews views,
        string id, PauseRequest? request) => PauseOfKindAsync(context, store, views, id, request, kind: null);

    public static Task<Results<Ok<DestinationView>, ProblemHttpResult>> ResumeAsync(HttpContext context, DestinationStore store, DestinationViews views,
        string id) => ResumeOfKindAsync(context, store, views, id, kind: null);

    public static Task<Results<Ok<DestinationView>, ProblemHttpResult>> RedeliverAsync(HttpContext context, DestinationStore store, DestinationViews views,
        EventStore log, string id, RedeliverRequest? request) => RedeliverOfKindAsync(context, store, views, log, id, request, kind: null);

    internal static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> PauseOfKindAsync(HttpContext context, DestinationStore store,
        DestinationViews views, string id, PauseRequest? request, DestinationKind? kind)
    {
        if (WebhookRequestChecks.CheckDescription(request?.Reason) is { } error)
        {
            return Problems.BadRequest($"'reason': {error} Nothing was changed.");
        }

        var (found, missing) = await FindAsync(store, id, kind, context.RequestAborted);
        if (found is null)
        {
            return missing!;
        }

        var who = context.GetSubscriber().Id;
        var reason = request?.Reason is { Length: > 0 } given ? $"paused by {who}: {given}" : $"paused by {who}";
        return await ViewOrMissingAsync(await store.SetStateAsync(found.Id, DestinationState.Paused, reason, skipToHead: false, context.RequestAborted),
            views, id, kind, context.RequestAborted);
    }

    internal static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> ResumeOfKindAsync(HttpContext context, DestinationStore store,
        DestinationViews views, string id, DestinationKind? kind)
    {
        var (found, missing) = await FindAsync(store, id, kind, context.RequestAborted);
        if (found is null)
        {
            return missing!;
        }

        // A disabled SSF stream holds nothing (SSF §8.1.2.1): it starts again at the head. Paused ones send what they missed.
        var skipToHead = found.State == DestinationState.Disabled;
        return await ViewOrMissingAsync(await store.SetStateAsync(found.Id, DestinationState.Enabled, null, skipToHead, context.RequestAborted),
            views, id, kind, context.RequestAborted);
    }

    internal static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> RedeliverOfKindAsync(HttpContext context, DestinationStore store,
        DestinationViews views, EventStore log, string id, RedeliverRequest? request, DestinationKind? kind)
    {
        if (request is null)
        {
            return Problems.BadRequest("Send a JSON body {\"fromSequence\": N}: every event from sequence N on is sent again. Nothing was changed.");
        }

        var (found, missing) = await FindAsync(store, id, kind, context.RequestAborted);
        if (found is null)
        {
            return missing!;
        }

        if (await CheckFromSequenceAsync(log, request.FromSequence, context.RequestAborted) is { } outside)
        {
            return Problems.BadRequest($"'fromSequence': {outside} Nothing was changed.");
        }

        return await ViewOrMissingAsync(await store.RewindAsync(found.Id, request.FromSequence, context.RequestAborted),
            views, id, kind, context.RequestAborted);
    }

    /// <summary>Null when a cursor may start at <paramref name="fromSequence"/>: an event still kept, or the next one.</summary>
    internal static async Task<string?> CheckFromSequenceAsync(EventStore log, long fromSequence, CancellationToken cancellationToken)
    {
        var head = await log.ReadHeadAsync(cancellationToken);
        return fromSequence < head.FirstKept || fromSequence > head.Last + 1
            ? $"Must be between {head.FirstKept} (the oldest event kept) and {head.Last + 1} (the next event); it is {fromSequence}."
            : null;
    }

    /// <summary>The destination <paramref name="id"/> names (of <paramref name="kind"/>, when given), or the 404 that says there is none.</summary>
    internal static async Task<(Destination? Found, ProblemHttpResult? Missing)> FindAsync(DestinationStore store, string id, DestinationKind? kind,
        CancellationToken cancellationToken)
    {
        var found = Guid.TryParse(id, out var guid) ? await store.GetAsync(guid, cancellationToken) : null;
        return found is not null && (kind is null || found.Kind == kind) ? (found, null) : (null, NotFound(id, kind));
    }

    internal static ProblemHttpResult NotFound(string id, DestinationKind? kind)
    {
        var noun = kind == DestinationKind.Webhook ? "webhook" : "destination";
        var shown = new string([.. id.Take(64).Where(c => !char.IsControl(c))]) + (id.Length > 64 ? "…" : "");
        return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No such {noun}",
            detail: $"No {noun} has the id '{shown}' (it may have been deleted). The list is at GET {(kind == DestinationKind.Webhook ? KavachRoutes.Webhooks : KavachRoutes.Destinations)}.");
    }

    private static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> ViewOrMissingAsync(Destination? changed, DestinationViews views,
        string id, DestinationKind? kind, CancellationToken cancellationToken) =>
        changed is null ? NotFound(id, kind) : TypedResults.Ok(await views.ViewAsync(changed, cancellationToken));
}
