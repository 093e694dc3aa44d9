using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kavach.AppHost.Infrastructure;

/// <summary>Healthy once the Blob endpoint answers HTTP at all (an unsigned request gets 403: the service is up).</summary>
internal sealed class AzuriteHealthCheck(Func<string> connectionString) : IHealthCheck
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var endpoint = connectionString().Split(';').Select(part => part.Split('=', 2))
            .Single(pair => pair[0] == "BlobEndpoint")[1];
        try
        {
            using var response = await Http.GetAsync($"{endpoint}?comp=list", cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (HttpRequestException e)
        {
            return HealthCheckResult.Unhealthy("Azurite does not answer yet", e);
        }
    }
}
