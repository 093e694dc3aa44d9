namespace Kavach.Dashboard.Services.Upstream;

/// <summary>Capped exponential backoff with jitter: initial, 2×, 4× … up to the cap; reset after a good connection.</summary>
public sealed class ReconnectBackoff(TimeSpan initial, TimeSpan max, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;
    private int _attempt;

    public int Attempt => _attempt;

    /// <param name="serverHint">The server's <c>retry:</c> value, used as the floor of the first delays.</param>
    public TimeSpan Next(TimeSpan? serverHint = null)
    {
        var baseDelay = serverHint is { } hint && hint > initial ? hint : initial;
        var exponent = Math.Min(_attempt, 16);
        _attempt++;
        var delay = TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent)));

        // ±20 % so that many consoles do not reconnect to a restarted replica in lockstep.
        var jitter = 0.8 + (0.4 * _random());
        return TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, delay.TotalMilliseconds * jitter));
    }

    public void Reset() => _attempt = 0;
}
