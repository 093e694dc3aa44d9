using System.Security.Claims;
using Kavach.Contracts;
using Kavach.Dashboard.Access;
using Microsoft.AspNetCore.Authorization;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// A person acknowledges, resolves or reopens an alert: only with <see cref="ConsolePolicies.Respond"/>, checked here
/// whoever calls (a page's button, the console's endpoint), and recorded by the API as that person's change, with the
/// note. The answer is shown at once by every page of this console instance, and by the others at their next read.
/// </summary>
public sealed class AlertActions(AlertsClient client, AlertsWatcher watcher, IAuthorizationService authorization)
{
    public async Task<AlertActionOutcome> ChangeStateAsync(ClaimsPrincipal user, long id, string state, string? note, CancellationToken cancellationToken)
    {
        if (!(await authorization.AuthorizeAsync(user, ConsolePolicies.Respond)).Succeeded)
        {
            return AlertActionOutcome.Refused(StatusCodes.Status403Forbidden,
                "Acknowledging, resolving and reopening alerts is for responders and admins: your role only views them.");
        }

        if (!AlertStates.All.Contains(state))
        {
            return AlertActionOutcome.Refused(StatusCodes.Status400BadRequest, $"Unknown state '{state}': use {string.Join(", ", AlertStates.All)}.");
        }

        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (note?.Length > AlertLimits.NoteLength)
        {
            return AlertActionOutcome.Refused(StatusCodes.Status400BadRequest, $"A note is at most {AlertLimits.NoteLength} characters.");
        }

        try
        {
            var changed = await client.ChangeStateAsync(id, new AlertStateChange(state, ConsoleUser.NameOf(user), note), cancellationToken);
            watcher.Replace(changed);
            return AlertActionOutcome.Done(changed);
        }
        catch (AlertsRequestException e)
        {
            watcher.WakeUp();
            return AlertActionOutcome.Refused(e.IsPermanent ? e.Status!.Value : StatusCodes.Status502BadGateway, e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return AlertActionOutcome.Refused(StatusCodes.Status502BadGateway, $"The stream API could not be reached: {e.Message}");
        }
    }
}

/// <summary>The changed alert, or why there is none (an HTTP status and a message for the page).</summary>
public sealed record AlertActionOutcome(AlertView? Alert, int Status, string? Error)
{
    public static AlertActionOutcome Done(AlertView alert) => new(alert, StatusCodes.Status200OK, null);

    public static AlertActionOutcome Refused(int status, string error) => new(null, status, error);
}
