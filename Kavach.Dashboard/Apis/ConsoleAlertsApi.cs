using System.Security.Claims;
using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Services.Alerts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kavach.Dashboard.Apis;

/// <summary>
/// The console's alert routes beside its pages, for scripts: read the alerts as the console sees them, and change one's
/// state as the signed-in person (responder or admin; the pages' buttons go through the same <see cref="AlertActions"/>).
/// </summary>
public static class ConsoleAlertsApi
{
    public static WebApplication MapConsoleAlertsApi(this WebApplication app)
    {
        app.MapGet("/api/console/alerts", ListAsync).WithName("GetConsoleAlerts")
            .WithSummary("The alerts from the stream API, newest first (state=open|acknowledged|resolved)")
            .RequireAuthorization(ConsolePolicies.View);
        app.MapPost("/api/console/alerts/{id:long}/state", ChangeStateAsync).WithName("ChangeAlertState")
            .WithSummary("Acknowledge, resolve or reopen an alert, with an optional note, as the signed-in person")
            .RequireAuthorization(ConsolePolicies.Respond).AddEndpointFilter<RequireConsoleHeader>();
        return app;
    }

    public static async Task<Results<Ok<AlertPage>, ProblemHttpResult>> ListAsync(
        string? state, long? before, int? limit, AlertsClient alerts, CancellationToken cancellationToken)
    {
        if (state is not null && !AlertStates.All.Contains(state))
        {
            return TypedResults.Problem($"Unknown state '{state}': use {string.Join(", ", AlertStates.All)}, or none for all.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            return TypedResults.Ok(await alerts.ListAsync(state, before, limit ?? 50, cancellationToken));
        }
        catch (Exception e) when (e is AlertsRequestException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return TypedResults.Problem($"The stream API's alerts could not be read: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
        }
    }

    // The body is read inside the handler, after RequireConsoleHeader: a cross-site form post is refused for its
    // missing header, not for its content type.
    public static async Task<Results<Ok<AlertView>, ProblemHttpResult>> ChangeStateAsync(
        long id, HttpRequest request, ClaimsPrincipal user, AlertActions actions, CancellationToken cancellationToken)
    {
        ConsoleStateChange? change;
        try
        {
            change = await request.ReadFromJsonAsync<ConsoleStateChange>(KavachJson.Options, cancellationToken);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            change = null;
        }

        if (change?.State is not { } state)
        {
            return TypedResults.Problem("Send a JSON body {\"state\":\"acknowledged|resolved|open\",\"note\":\"optional\"} with Content-Type: application/json.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var outcome = await actions.ChangeStateAsync(user, id, state, change.Note, cancellationToken);
        return outcome.Alert is { } alert ? TypedResults.Ok(alert) : TypedResults.Problem(outcome.Error, statusCode: outcome.Status);
    }

    /// <summary>What a script sends: the person is the signed-in one, never named in the body.</summary>
    public sealed record ConsoleStateChange(string? State, string? Note);
}
