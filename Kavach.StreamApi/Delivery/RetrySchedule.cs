using Kavach.StreamApi.Options;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// When a failing destination is tried again, and when it has failed for too long: the wait doubles from
/// <see cref="DeliveryOptions.FirstRetry"/> up to <see cref="DeliveryOptions.MaxBackoff"/>, each drawn at random
/// between half and all of it (so a receiver that comes back is not hit by every replica at the same instant), and a
/// destination that has not succeeded for <see cref="DeliveryOptions.RetryHorizon"/> is paused.
/// </summary>
public sealed class RetrySchedule(DeliveryOptions options, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    /// <summary>The longest wait after the <paramref name="attempts"/>-th failure in a row (1 for the first).</summary>
    public TimeSpan Ceiling(int attempts)
    {
        var doublings = Math.Clamp(attempts - 1, 0, 62);
        var ticks = options.FirstRetry.Ticks * Math.Pow(2, doublings);
        return ticks >= options.MaxBackoff.Ticks ? options.MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The wait before the next attempt: in [½, 1] of <see cref="Ceiling"/>.</summary>
    public TimeSpan Delay(int attempts)
    {
        var ceiling = Ceiling(attempts);
        return TimeSpan.FromTicks((long)(ceiling.Ticks * (0.5 + 0.5 * _random())));
    }

    /// <summary>Whether a run of failures that began at <paramref name="failingSince"/> has reached the horizon.</summary>
    public bool HorizonReached(DateTimeOffset failingSince, DateTimeOffset now) => now - failingSince >= options.RetryHorizon;
}
