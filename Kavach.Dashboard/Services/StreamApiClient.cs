using System.Net.Http.Json;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services;

/// <summary>
/// The stream API's JSON endpoints the console reads (health, pages, connection counts), reached through service
/// discovery with the console's service token. Emitting (demo traffic) goes through Kavach.Client, which retries safely.
/// </summary>
public sealed class StreamApiClient(HttpClient http)
{
    public async Task<ApiHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("/health", cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new ApiHealth(response.IsSuccessStatusCode, body.Trim());
        }
        catch (HttpRequestException e)
        {
            return new ApiHealth(false, e.Message);
        }
    }

    /// <summary>One ascending page of persisted events.</summary>
    public async Task<EventPage> GetPageAsync(PageQuery query, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<EventPage>(query.ToPath(), KavachJson.Options, cancellationToken)
            ?? new EventPage([], null);

    public async Task<StreamConnections> GetConnectionsAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<StreamConnections>(KavachRoutes.StreamConnections, KavachJson.Options, cancellationToken)
            ?? new StreamConnections(0, 0);

    /// <summary>The API's verification of the hash chain from <paramref name="from"/> (or the oldest stored event) to the head.</summary>
    public async Task<ChainReport> VerifyChainAsync(long? from, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<ChainReport>(from is { } f ? $"{KavachRoutes.Verify}?from={f}" : KavachRoutes.Verify,
            KavachJson.Options, cancellationToken) ?? throw new HttpRequestException("The verification answer was empty.");
}

public sealed record ApiHealth(bool IsHealthy, string Status);
