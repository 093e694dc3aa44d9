namespace Kavach.Dashboard.Services;

/// <summary>The stream API's JSON endpoints, reached through service discovery.</summary>
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
}

public sealed record ApiHealth(bool IsHealthy, string Status);
