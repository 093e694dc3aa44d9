using System.Threading.RateLimiting;

namespace Kavach.ServiceDefaults.Limits;

/// <summary>
/// "At most N per window" as a token bucket: N to begin with (a burst of up to N is fine), refilled evenly over the
/// window, so a refused caller is told how long until the tokens it needs are back.
/// </summary>
public static class RateWindow
{
    public static TokenBucketRateLimiterOptions Bucket(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);

        // A token per period, or — where that period would be under a millisecond — as many as make one: the refill
        // rate stays limit / window to within a tick per period, and a refusal's wait is never off by more than a period.
        var tokens = (int)Math.Max(1, Math.Ceiling((double)MinimumPeriod.Ticks * limit / window.Ticks));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = TimeSpan.FromTicks(Math.Max(1, (long)((double)window.Ticks * tokens / limit))),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static readonly TimeSpan MinimumPeriod = TimeSpan.FromMilliseconds(1);
}
