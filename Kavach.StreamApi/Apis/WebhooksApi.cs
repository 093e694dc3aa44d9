using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>/api/kavach/webhooks</c> (scope <c>events:admin</c>): webhook subscriptions (docs/webhooks.md, "API"). A
/// subscription has a URL, event types and a read grant with a token's claims, and a cursor over the log that the
/// delivery engine moves only when the receiver accepted; it is signed per Standard Webhooks with secrets that rotate
/// with overlap. A secret's value is in the answer that makes it, and nowhere else.
/// </summary>
public static class WebhooksApi
{
    /// <summary>The type of the message <c>POST …/{id}/test</c> sends (no event of the log has it).</summary>
    public const string TestType = "webhook.test";

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Webhooks).WithTags("Webhooks").AddEndpointFilter(new RequireToken(KavachScopes.Admin));
        api.MapPost("/", CreateAsync)
            .WithName("CreateWebhook").WithSummary("Subscribe a URL to events: answers the webhook and its signing secret (shown only here).")
            .Accepts<WebhookRequest>("application/json").WithLimits(LimitedEndpoint.Destinations);
        api.MapGet("/", ListAsync)
            .WithName("Webhooks").WithSummary("Every webhook, with its lag, state and last error (secrets without their values).")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapGet("/{id}", GetAsync)
            .WithName("Webhook").WithSummary("One webhook.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPatch("/{id}", UpdateAsync)
            .WithName("UpdateWebhook").WithSummary("Replace the fields present: url, description, eventTypes, grant.")
            .Accepts<WebhookRequest>("application/json").WithLimits(LimitedEndpoint.Destinations);
        api.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteWebhook").WithSummary("Remove a webhook, its cursor and its secrets.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/pause", PauseAsync)
            .WithName("PauseWebhook").WithSummary("Stop sending; the cursor stays, so resuming sends what was missed.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/resume", ResumeAsync)
            .WithName("ResumeWebhook").WithSummary("Send again, from the cursor.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/redeliver", RedeliverAsync)
            .WithName("RedeliverWebhook").WithSummary("Move the cursor back: every event from 'fromSequence' on is sent again.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/test", TestAsync)
            .WithName("TestWebhook").WithSummary("Send one signed 'webhook.test' message now (not an event of the log) and answer what the receiver said.")
            .WithLimits(LimitedEndpoint.Destinations);
        api.MapPost("/{id}/secrets", RotateSecretAsync)
            .WithName("RotateWebhookSecret").WithSummary("A new signing secret; the older ones keep signing for 'overlapHours' (24 by default, 0: stop now).")
            .WithLimits(LimitedEndpoint.Destinations);
        return app;
    }

    public static async Task<Results<Created<WebhookCreated>, ValidationProblem, ProblemHttpResult>> CreateAsync(HttpContext context,
        WebhookRequestChecks checks, DestinationStore store, DestinationViews views, EventStore log, NpgsqlDataSource dataSource,
        IOptions<DeliveryOptions> options)
    {
        var (body, refused) = await WebhookRequestChecks.ReadAsync(context);
        if (body is null)
        {
            return refused!;
        }

        var request = body.Request;
        var errors = new Dictionary<string, string[]>();
        var (url, urlError) = await checks.CheckUrlAsync(request.Url, context.RequestAborted);
        var (types, typesError) = WebhookRequestChecks.CheckEventTypes(request.EventTypes);
        var grant = WebhookRequestChecks.CheckGrant(request.Grant, errors);
        AddError(errors, "url", urlError);
        AddError(errors, "description", WebhookRequestChecks.CheckDescription(request.Description));
        AddError(errors, "eventTypes", typesError);
        if (request.FromSequence is { } from)
        {
            AddError(errors, "fromSequence", await DestinationsApi.CheckFromSequenceAsync(log, from, context.RequestAborted));
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var limit = options.Value.MaxDestinations;
        if (await store.CountAsync(context.RequestAborted) >= limit)
        {
            return Problems.Conflict($"The service keeps at most {limit} destinations ({DeliveryOptions.Section}:MaxDestinations): delete one first. Nothing was stored.");
        }

        // The webhook and its first secret in one transaction: never a webhook the engine could send to unsigned.
        var draft = new NewDestination(DestinationKind.Webhook, url, request.Description, types, grant, null, context.GetSubscriber().Id,
            After: request.FromSequence - 1);
        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        await using var transaction = await connection.BeginTransactionAsync(context.RequestAborted);
        var created = await store.CreateAsync(draft, connection, context.RequestAborted);
        var secret = await WebhookSecrets.AddFirstAsync(connection, created.Id, context.RequestAborted);
        await transaction.CommitAsync(context.RequestAborted);

        var view = await views.ViewAsync(created, context.RequestAborted);
        return TypedResults.Created($"{KavachRoutes.Webhooks}/{created.Id}", new WebhookCreated(view, secret.Value));
    }

    public static async Task<Ok<WebhookList>> ListAsync(HttpContext context, DestinationStore store, DestinationViews views) =>
        TypedResults.Ok(new WebhookList(await views.ViewAsync(await store.ListAsync(DestinationKind.Webhook, context.RequestAborted), context.RequestAborted)));

    public static async Task<Results<Ok<DestinationView>, ProblemHttpResult>> GetAsync(HttpContext context, DestinationStore store,
        DestinationViews views, string id)
    {
        var (found, missing) = await DestinationsApi.FindAsync(store, id, DestinationKind.Webhook, context.RequestAborted);
        return found is null ? missing! : TypedResults.Ok(await views.ViewAsync(found, context.RequestAborted));
    }

    public static async Task<Results<Ok<DestinationView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(HttpContext context,
        WebhookRequestChecks checks, DestinationStore store, DestinationViews views, string id)
    {
        var (body, refused) = await WebhookRequestChecks.ReadAsync(context);
        if (body is null)
        {
            return refused!;
        }

        var (found, missing) = await DestinationsApi.FindAsync(store, id, DestinationKind.Webhook, context.RequestAborted);
        if (found is null)
        {
            return missing!;
        }

        var (request, present) = (body.Request, body.Present);
        var errors = new Dictionary<string, string[]>();
        var url = found.Url;
        if (present.Contains("url"))
        {
            (url, var urlError) = await checks.CheckUrlAsync(request.Url, context.RequestAborted);
            AddError(errors, "url", urlError);
        }

        var eventTypes = found.EventTypes;
        if (present.Contains("eventTypes"))
        {
            (eventTypes, var typesError) = WebhookRequestChecks.CheckEventTypes(request.EventTypes);
            AddError(errors, "eventTypes", typesError);
        }

        var grant = present.Contains("grant") ? WebhookRequestChecks.CheckGrant(request.Grant, errors) : found.Grant;
        var description = present.Contains("description") ? request.Description : found.Description;
        AddError(errors, "description", WebhookRequestChecks.CheckDescription(description));
        if (present.Contains("fromSequence"))
        {
            AddError(errors, "fromSequence", $"Not changed by an update: send it to POST {KavachRoutes.Webhooks}/{{id}}/redeliver.");
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var updated = await store.UpdateAsync(found.Id, url, description, eventTypes, grant, null, context.RequestAborted);
        return updated is null
            ? DestinationsApi.NotFound(id, DestinationKind.Webhook)
            : TypedResults.Ok(await views.ViewAsync(updated, context.RequestAborted));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, DestinationStore store,
        WebhookSigningKeys keys, string id)
    {
        var (found, missing) = await DestinationsApi.FindAsync(store, id, DestinationKind.Webhook, context.RequestAborted);
        if (found is null || !await store.DeleteAsync(found.Id, context.RequestAborted))
        {
            return missing ?? DestinationsApi.NotFound(id, DestinationKind.Webhook);
        }

        keys.Forget(found.Id);
        return TypedResults.NoContent();
    }

    public static Task<Results<Ok<DestinationView>, ProblemHttpResult>> PauseAsync(HttpContext context, DestinationStore store, DestinationViews views,
        string id, PauseRequest? request) => DestinationsApi.PauseOfKindAsync(context, store, views, id, request, DestinationKind.Webhook);

    public static Task<Results<Ok<DestinationView>, ProblemHttpResult>> ResumeAsync(HttpContext context, DestinationStore store, DestinationViews views,
        string id) => DestinationsApi.ResumeOfKindAsync(context, store, views, id, DestinationKind.Webhook);

    public static Task<Results<Ok<DestinationView>, ProblemHttpResult>> RedeliverAsync(HttpContext context, DestinationStore store,
        DestinationViews views, EventStore log, string id, RedeliverRequest? request) =>
        DestinationsApi.RedeliverOfKindAsync(context, store, views, log, id, request, DestinationKind.Webhook);

    public static async Task<Results<Created<WebhookCreated>, ProblemHttpResult>> RotateSecretAsync(HttpContext context, DestinationStore store,
        DestinationViews views, WebhookSecrets secrets, WebhookSigningKeys keys, string id, int? overlapHours)
    {
        if (overlapHours is < 0 || overlapHours > WebhookSecrets.MaxOverlap.TotalHours)
        {
            return Problems.BadRequest($"'overlapHours' must be between 0 (the older secrets stop signing now) and {WebhookSecrets.MaxOverlap.TotalHours:0}; " +
                $"left out, {WebhookSecrets.DefaultOverlap.TotalHours:0}. Nothing was changed.");
        }

        var overlap = overlapHours is { } hours ? TimeSpan.FromHours(hours) : WebhookSecrets.DefaultOverlap;
        var (found, missing) = await DestinationsApi.FindAsync(store, id, DestinationKind.Webhook, context.RequestAborted);
        if (found is null)
        {
            return missing!;
        }

        var secret = await secrets.RotateAsync(found.Id, overlap, context.RequestAborted);
        if (secret is null)
        {
            return DestinationsApi.NotFound(id, DestinationKind.Webhook);
        }

        // This replica signs with the new set at once; the others within WebhookSigningKeys.Freshness.
        keys.Forget(found.Id);
        var view = await views.ViewAsync(found, context.RequestAborted);
        return TypedResults.Created($"{KavachRoutes.Webhooks}/{found.Id}/secrets/{secret.View.Id}", new WebhookCreated(view, secret.Value));
    }

    /// <summary>
    /// One signed <c>webhook.test</c> message, sent now through the engine's own channel and HTTP client (so with the
    /// same signatures, SSRF check, redirect rule and timeout). Not an event of the log: the cursor does not move.
    /// </summary>
    public static async Task<Results<Ok<WebhookTestResult>, ProblemHttpResult>> TestAsync(HttpContext context, DestinationStore store,
        WebhookChannel channel, DeliveryHttp http, TimeProvider time, string id)
    {
        var (found, missing) = await DestinationsApi.FindAsync(store, id, DestinationKind.Webhook, context.RequestAborted);
        if (found is null)
        {
            return missing!;
        }

        var messageId = $"msg_test_{Guid.CreateVersion7():N}";
        var payload = JsonSerializer.Serialize(new TestMessage(messageId, TestType, time.GetUtcNow(), found.Id,
            new TestNote("A test message from Kavach: not an event of the log. Verify its signature as you would an event's.")),
            JsonSerializerOptions.Web);
        HttpRequestMessage request;
        try
        {
            request = await channel.SignedAsync(found, messageId, payload, context.RequestAborted);
        }
        catch (DeliveryNotReadyException e)
        {
            return TypedResults.Ok(new WebhookTestResult(false, null, $"Nothing was sent: {e.Message}.", 0));
        }

        using (request)
        {
            var outcome = await http.SendAsync(request, ((IPushChannel)channel).Accepted, context.RequestAborted);
            return TypedResults.Ok(new WebhookTestResult(outcome.IsAccepted, outcome.Status, outcome.Error, outcome.Duration.TotalMilliseconds));
        }
    }

    private static void AddError(Dictionary<string, string[]> errors, string field, string? error)
    {
        if (error is not null)
        {
            errors[field] = [error];
        }
    }

    /// <summary>The body of a test message: shaped like an event, with a type no event has.</summary>
    private sealed record TestMessage(string Id, string Type, DateTimeOffset Timestamp, Guid WebhookId, TestNote Data);

    private sealed record TestNote(string Message);
}

/// <summary><c>GET /api/kavach/webhooks</c>.</summary>
public sealed record WebhookList(IReadOnlyList<DestinationView> Webhooks);
