using Kavach.StreamApi.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// The hub delivers only what it read or checked in PostgreSQL: it is unhealthy before it knows the stream position,
/// and when no check of the database succeeded for five catch-up intervals (at least 10 s), since then this replica's
/// streams may be missing events other replicas delivered.
/// </summary>
public sealed class HubHealthCheck(EventHub hub, IOptions<StreamOptions> options, TimeProvider time) : IHealthCheck
{
    private static readonly TimeSpan ShortestLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long the hub may go without a successful check of PostgreSQL and still count as delivering.</summary>
    public TimeSpan Limit { get; } = TimeSpan.FromTicks(Math.Max(ShortestLimit.Ticks, 5 * options.Value.CatchUpInterval.Ticks));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!hub.Ready.IsCompletedSuccessfully)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Not delivering yet: the stream position is not known."));
        }

        var sinceSync = time.GetUtcNow() - hub.LastSynced;
        return Task.FromResult(sinceSync > Limit
            ? HealthCheckResult.Unhealthy($"Not delivering: no successful check of PostgreSQL for {sinceSync.TotalSeconds:0} s (at {hub.Position}).")
            : HealthCheckResult.Healthy($"Delivering; at {hub.Position}."));
    }
}
