using System.Net.Http.Json;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Destinations;

/// <summary>
/// The stream API's push-destination routes (<c>GET /api/kavach/destinations</c> and its pause, resume and redeliver),
/// called with the console's <c>events:admin</c> token, which no other call of the console carries.
/// </summary>
public sealed class DestinationsClient(HttpClient http)
{
    public async Task<DestinationList> ListAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(KavachRoutes.Destinations, cancellationToken);
        await EnsureAcceptedAsync(response, "read the destinations", cancellationToken);
        return await response.Content.ReadFromJsonAsync<DestinationList>(KavachJson.Options, cancellationToken)
            ?? new DestinationList([]);
    }

    public Task<DestinationView> PauseAsync(Guid id, string? reason, CancellationToken cancellationToken) =>
        PostAsync(id, "pause", new PauseRequest(string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()), cancellationToken);

    public Task<DestinationView> ResumeAsync(Guid id, CancellationToken cancellationToken) =>
        PostAsync<object?>(id, "resume", null, cancellationToken);

    public Task<DestinationView> RedeliverAsync(Guid id, long fromSequence, CancellationToken cancellationToken) =>
        PostAsync(id, "redeliver", new RedeliverRequest(fromSequence), cancellationToken);

    private async Task<DestinationView> PostAsync<T>(Guid id, string action, T body, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"{KavachRoutes.Destinations}/{id}/{action}", body, KavachJson.Options, cancellationToken);
        await EnsureAcceptedAsync(response, $"{action} the destination", cancellationToken);
        return await response.Content.ReadFromJsonAsync<DestinationView>(KavachJson.Options, cancellationToken)
            ?? throw new DestinationsRequestException($"The API answered no destination to {action}.", null);
    }

    /// <summary>A refusal becomes an exception whose message is the API's own problem detail: it says what to fix.</summary>
    private static async Task EnsureAcceptedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
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
        throw new DestinationsRequestException(status switch
        {
            401 or 403 => $"The API refused to {what} ({status}): the console's token needs the {KavachScopes.Admin} scope. {why}",
            _ => $"The API refused to {what} ({status}): {why}",
        }, status);
    }
}

/// <summary>The API refused a destinations request, or could not be reached; the message is meant for the page.</summary>
public sealed class DestinationsRequestException(string message, int? status, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;
}
