using System.Threading.RateLimiting;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.RateLimiting;

namespace Kavach.StreamApi.Limits;

/// <summary>
/// At most <see cref="ReadLimit.Concurrent"/> of one kind of read at once on this replica, and <see cref="ReadLimit.Queue"/>
/// waiting in arrival order: each holds a history connection, which streams catching up need too. The place is held
/// until the answer is written, streamed pages included.
/// </summary>
internal sealed class ConcurrencyPolicy(LimitedEndpoint endpoint, ReadLimit limit) : IRateLimiterPolicy<LimitedEndpoint>
{
    public static string NameOf(LimitedEndpoint endpoint) => $"kavach-{endpoint.Tag()}-at-once";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => async (rejected, _) =>
        await LimitRefusal.Create(rejected.HttpContext, endpoint, LimitKind.Concurrency, rejected.Lease).ExecuteAsync(rejected.HttpContext);

    public RateLimitPartition<LimitedEndpoint> GetPartition(HttpContext httpContext) =>
        RateLimitPartition.GetConcurrencyLimiter(endpoint, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = limit.Concurrent,
            QueueLimit = limit.Queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
}
