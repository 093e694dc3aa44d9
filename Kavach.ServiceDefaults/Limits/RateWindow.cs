using System.Threading.RateLimiting;

namespace Kavach.ServiceDefaults.Limits;

/// <summary>
/// "At most N per window" as a token bucket: N to begin with (a burst of up to N is fine), refilled evenly, one token
/// every window / N, so a refused caller is told how long until the one it needs is back.
/// </summary>
public static class RateWindow
{
    public static TokenBucketRateLimiterOptions Bucket(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        var period = TimeSpan.FromTicks(Math.Max(1, window.Ticks / limit));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = (int)Math.Max(1, Math.Round((double)limit * period.Ticks / window.Ticks)),
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}
