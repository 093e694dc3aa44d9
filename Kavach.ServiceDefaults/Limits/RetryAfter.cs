using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Kavach.ServiceDefaults.Limits;

/// <summary>The <c>Retry-After</c> of a refusal: whole seconds, rounded up, at least 1.</summary>
public static class RetryAfter
{
    public static int Seconds(TimeSpan wait) => (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);

    /// <summary>Sets the header; the seconds it says.</summary>
    public static int Set(HttpResponse response, TimeSpan wait)
    {
        var seconds = Seconds(wait);
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return seconds;
    }

    /// <summary>How long a refused caller should wait: the limiter's own estimate in its lease, else <paramref name="fallback"/>.</summary>
    public static TimeSpan Of(RateLimitLease lease, TimeSpan fallback) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : fallback;
}
