using Kavach.Dashboard.Options;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>Polls the API's live-connection count (all replicas) into the upstream status.</summary>
public sealed class ApiConnectionsWatcher(
    IServiceScopeFactory scopes, UpstreamStatusBoard status, IOptions<StreamApiOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ConnectionsPollInterval, time);
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                var api = scope.ServiceProvider.GetRequiredService<StreamApiClient>();
                var counts = await api.GetConnectionsAsync(stoppingToken);
                status.Update(s => s.ApiConnections == counts.Total ? s : s with { ApiConnections = counts.Total });
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                status.Update(s => s.ApiConnections is null ? s : s with { ApiConnections = null });
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
