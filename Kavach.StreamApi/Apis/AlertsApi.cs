using System.Text.Json;
using System.Text.Json.Serialization;
using Kavach.Contracts;
using Kavach.StreamApi.Alerts;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Limits;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>/api/kavach/alerts</c> (docs/api.md, "Alerts"; docs/console.md, "Alerts"): alerts the console's rules raise, and
/// the people who acknowledge and resolve them. Reading needs <c>events:read</c>, raising and changing state
/// <c>alerts:write</c>; both need a token that reads the whole log, because an alert speaks of events of any type and
/// party (a narrowed reader would learn of events its grant hides).
/// </summary>
public static class AlertsApi
{
    /// <summary>The largest body a raise or a state change may have: far above what <see cref="AlertLimits"/> allow.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(KavachRoutes.Alerts).WithTags("Alerts");
        api.MapGet("/", ListAsync).AddEndpointFilter(new RequireToken(KavachScopes.Read)).AddEndpointFilter(ReadsWholeLog).WithLimits(LimitedEndpoint.Alerts)
            .WithName("Alerts").WithSummary("Alerts, newest first, by state, rule and entity; 'before' is the previous page's 'next'.");
        api.MapGet("/{id:long}", GetAsync).AddEndpointFilter(new RequireToken(KavachScopes.Read)).AddEndpointFilter(ReadsWholeLog).WithLimits(LimitedEndpoint.Alerts)
            .WithName("Alert").WithSummary("One alert with its history: who changed it, when, and their note.");
        api.MapPost("/", RaiseAsync).Accepts<AlertRaise>("application/json").AddEndpointFilter(new RequireToken(KavachScopes.AlertsWrite)).AddEndpointFilter(ReadsWholeLog).WithLimits(LimitedEndpoint.Alerts)
            .WithName("RaiseAlert").WithSummary("Raise an alert (201), or get the one it repeats unchanged (200): same rule, entity and overlapping evidence, or within the dedupe window.");
        api.MapPost("/{id:long}/state", ChangeStateAsync).Accepts<AlertStateChange>("application/json").AddEndpointFilter(new RequireToken(KavachScopes.AlertsWrite)).AddEndpointFilter(ReadsWholeLog).WithLimits(LimitedEndpoint.Alerts)
            .WithName("ChangeAlertState").WithSummary("Acknowledge, resolve or reopen an alert for a named person, with an optional note.");
        return app;
    }

    public static async Task<Results<Ok<AlertPage>, ProblemHttpResult>> ListAsync(HttpContext context, AlertStore store,
        string? state = null, string? rule = null, string? entityKind = null, string? entity = null, long? before = null, int? limit = null)
    {
        if (AlertRequestChecks.CheckList(state, rule, entityKind, entity, before, limit) is { } error)
        {
            return Problems.BadRequest(error);
        }

        return TypedResults.Ok(await store.ListAsync(new AlertFilter(state, rule, entityKind, entity, before, limit ?? 50), context.RequestAborted));
    }

    public static async Task<Results<Ok<AlertView>, ProblemHttpResult>> GetAsync(HttpContext context, AlertStore store, long id) =>
        await store.GetAsync(id, context.RequestAborted) is { } alert ? TypedResults.Ok(alert) : NotFound(id);

    public static async Task<Results<Created<AlertView>, Ok<AlertView>, ProblemHttpResult, ValidationProblem>> RaiseAsync(HttpContext context, AlertStore store)
    {
        var (request, refused) = await ReadAsync<AlertRaise>(context);
        if (refused is not null)
        {
            return refused;
        }

        var (draft, errors) = AlertRequestChecks.CheckRaise(request, context.GetSubscriber().Id);
        if (draft is null)
        {
            return Problems.Invalid(errors);
        }

        var outcome = await store.RaiseAsync(draft, context.RequestAborted);
        return outcome.Result switch
        {
            RaiseResult.Created => TypedResults.Created($"{KavachRoutes.Alerts}/{outcome.Alert!.Id}", outcome.Alert),
            RaiseResult.Existing => TypedResults.Ok(outcome.Alert),
            RaiseResult.EvidenceMissing => Unprocessable("Evidence not in the log",
                $"The log holds no event with the sequence{(outcome.Missing!.Count == 1 ? "" : "s")} " +
                $"{string.Join(", ", outcome.Missing!.Take(20))}{(outcome.Missing!.Count > 20 ? ", …" : "")}: evidence must be stored events. Nothing was stored."),
            RaiseResult.DestinationUnknown => Unprocessable("Unknown destination",
                $"'notifyDestination' {draft.NotifyDestination} is no destination (GET {KavachRoutes.Destinations} lists them). Nothing was stored."),
            RaiseResult.DestinationNotWebhook => Unprocessable("Not a webhook",
                $"'notifyDestination' {draft.NotifyDestination} is an SSF stream; alerts notify webhooks only. Nothing was stored."),
            _ => Unprocessable("Destination disabled",
                $"'notifyDestination' {draft.NotifyDestination} is disabled and would never receive the notification; resume it or name another. Nothing was stored."),
        };
    }

    public static async Task<Results<Ok<AlertView>, ProblemHttpResult, ValidationProblem>> ChangeStateAsync(HttpContext context, AlertStore store, long id)
    {
        var (request, refused) = await ReadAsync<AlertStateChange>(context);
        if (refused is not null)
        {
            return refused;
        }

        if (AlertRequestChecks.CheckChange(request) is { Count: > 0 } errors)
        {
            return Problems.Invalid(errors);
        }

        var outcome = await store.ChangeAsync(id, request!.State!, request.By!, context.GetSubscriber().Id, request.Note, context.RequestAborted);
        return outcome.Result switch
        {
            ChangeResult.Changed => TypedResults.Ok(outcome.Alert!),
            ChangeResult.NotFound => NotFound(id),
            _ => Problems.Conflict($"Alert {id} is {outcome.Alert!.State} (changed by {outcome.Alert.ChangedBy} at {outcome.Alert.ChangedAt:O}); " +
                $"it cannot become {request.State}. Allowed: open → acknowledged or resolved, acknowledged → resolved or open, resolved → open."),
        };
    }

    private static async ValueTask<object?> ReadsWholeLog(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.GetSubscriber().Reads.ReadsEverything
            ? await next(context)
            : Problems.Forbidden("Alerts speak of events of any type, agent and user, so they need a token that reads the whole log: this " +
                $"token's claims ({KavachClaims.Types}, {KavachClaims.Agents}, {KavachClaims.Users} or {KavachClaims.SubjectKind}) narrow what it reads.");

    private static async Task<(T? Request, ProblemHttpResult? Refused)> ReadAsync<T>(HttpContext context) where T : class
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return (null, Problems.TooLarge($"An alert request is at most {MaxBodyBytes} bytes."));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            return (await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Json, context.RequestAborted), null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 2 } path ? $"'{path[2..]}' has the wrong shape or is not a field" : "The body is not a JSON object";
            return (null, Problems.BadRequest($"{where}: see docs/api.md, \"Alerts\". Nothing was stored."));
        }
    }

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such alert", detail: $"There is no alert {id}.");

    private static ProblemHttpResult Unprocessable(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: title, detail: detail);
}
