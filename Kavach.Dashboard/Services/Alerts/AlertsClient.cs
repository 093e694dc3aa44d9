using System.Net.Http.Json;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// The stream API's alerts (<c>/api/kavach/alerts</c>), where alert state lives for every console instance. Reads go
/// with the console's <c>events:read</c> token, raises and state changes with a token of their own that carries
/// <c>alerts:write</c> alone (the console's <c>AlertsTokenHandler</c>).
/// </summary>
public sealed class AlertsClient(HttpClient http)
{
    /// <summary>The newest alerts (in <paramref name="state"/>, or all), before the id <paramref name="before"/>.</summary>
    public async Task<AlertPage> ListAsync(string? state, long? before, int limit, CancellationToken cancellationToken)
    {
        var query = new List<string> { $"limit={Math.Clamp(limit, 1, AlertLimits.PageSize)}" };
        if (state is not null)
        {
            query.Add($"state={Uri.EscapeDataString(state)}");
        }

        if (before is { } b)
        {
            query.Add($"before={b}");
        }

        using var response = await http.GetAsync($"{KavachRoutes.Alerts}?{string.Join('&', query)}", cancellationToken);
        await EnsureAcceptedAsync(response, "read the alerts", KavachScopes.Read, cancellationToken);
        return await response.Content.ReadFromJsonAsync<AlertPage>(KavachJson.Options, cancellationToken) ?? new AlertPage([], null);
    }

    /// <summary>One alert with its history, or null when there is none with that id.</summary>
    public async Task<AlertView?> GetAsync(long id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"{KavachRoutes.Alerts}/{id}", cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureAcceptedAsync(response, "read the alert", KavachScopes.Read, cancellationToken);
        return await response.Content.ReadFromJsonAsync<AlertView>(KavachJson.Options, cancellationToken);
    }

    /// <summary>Raises an alert; the API answers the one it already has when this is the same finding again.</summary>
    public async Task<AlertView> RaiseAsync(AlertRaise raise, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(KavachRoutes.Alerts, raise, KavachJson.Options, cancellationToken);
        await EnsureAcceptedAsync(response, "raise the alert", KavachScopes.AlertsWrite, cancellationToken);
        return await response.Content.ReadFromJsonAsync<AlertView>(KavachJson.Options, cancellationToken)
            ?? throw new AlertsRequestException("The API answered no alert to the raise.", null);
    }

    public async Task<AlertView> ChangeStateAsync(long id, AlertStateChange change, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"{KavachRoutes.Alerts}/{id}/state", change, KavachJson.Options, cancellationToken);
        await EnsureAcceptedAsync(response, $"mark the alert {change.State}", KavachScopes.AlertsWrite, cancellationToken);
        return await response.Content.ReadFromJsonAsync<AlertView>(KavachJson.Options, cancellationToken)
            ?? throw new AlertsRequestException("The API answered no alert to the change.", null);
    }

    /// <summary>A refusal becomes an exception whose message is the API's own problem detail: it says what to fix.</summary>
    private static async Task EnsureAcceptedAsync(HttpResponseMessage response, string what, string scope, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        KavachProblem? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<KavachProblem>(KavachJson.Options, cancellationToken);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
        {
        }

        var status = (int)response.StatusCode;
        var why = problem?.Detail ?? problem?.Title ?? response.ReasonPhrase;
        throw new AlertsRequestException(status switch
        {
            401 or 403 => $"The API refused to {what} ({status}): the console's token needs the {scope} scope. {why}",
            _ => $"The API refused to {what} ({status}): {why}",
        }, status);
    }
}

/// <summary>The API refused an alerts request; the message is meant for the page.</summary>
public sealed class AlertsRequestException(string message, int? status, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;

    /// <summary>Trying the same request again cannot help: the API judged the request itself (not the token, not its own state).</summary>
    public bool IsPermanent => Status is 400 or 404 or 409 or 413 or 422;
}
