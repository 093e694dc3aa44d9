using System.Threading.RateLimiting;
using Kavach.ServiceDefaults.Limits;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.RateLimiting;

namespace Kavach.StreamApi.Limits;

/// <summary>
/// Per client address, as ASP.NET Core's global rate limiter: one bucket per endpoint and address, taken before the
/// token is looked at — a flood of bad tokens costs a refusal, not a signature check each.
/// </summary>
internal static class AddressLimits
{
    public static PartitionedRateLimiter<HttpContext> Create(LimitsOptions options) =>
        PartitionedRateLimiter.Create<HttpContext, (LimitedEndpoint?, string)>(context =>
            LimitedEndpointOf(context) is { } endpoint && endpoint.In(options).Limit is { PerAddress: > 0 } limit
                ? RateLimitPartition.GetTokenBucketLimiter(((LimitedEndpoint?)endpoint, ClientAddress.KeyOf(context)),
                    _ => RateWindow.Bucket(limit.PerAddress, limit.Window))
                : RateLimitPartition.GetNoLimiter(((LimitedEndpoint?)null, "")));

    public static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        await LimitRefusal.Create(context, LimitedEndpointOf(context)!.Value, LimitKind.PerAddress, rejected.Lease).ExecuteAsync(context);
    }

    private static LimitedEndpoint? LimitedEndpointOf(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<LimitedAs>()?.Endpoint;
}
