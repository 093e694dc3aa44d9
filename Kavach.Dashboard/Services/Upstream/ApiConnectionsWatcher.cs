using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Feed;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Services.Upstream;

/// <summary>Polls the API's live-connection count (all replicas) into the feed's status.</summary>
public sealed class ApiConnectionsWatcher(
    IServiceScopeFactory scopes, EventFeed feed, IOptions<StreamApiOptions> options, TimeProvider time) : BackgroundService
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
                feed.UpdateStatus(s => s.ApiConnections == counts.Total ? s : s with { ApiConnections = counts.Total });
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                feed.UpdateStatus(s => s.ApiConnections is null ? s : s with { ApiConnections = null });
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
