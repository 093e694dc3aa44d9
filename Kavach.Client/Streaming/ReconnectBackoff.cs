namespace Kavach.Client;

/// <summary>
/// Capped exponential backoff with jitter: initial, 2×, 4× … up to the cap, each ±20 %; reset after a good
/// connection. The server's <c>retry:</c> (or <c>Retry-After</c>) is the floor of the first delay.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan initial, TimeSpan max, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;
    private int _attempt;

    public int Attempt => _attempt;

    /// <param name="serverHint">What the server asked for (<c>retry:</c> or <c>Retry-After</c>).</param>
    public TimeSpan Next(TimeSpan? serverHint = null)
    {
        var baseDelay = serverHint is { } hint && hint > initial ? hint : initial;
        var exponent = Math.Min(_attempt, 16);
        _attempt++;

        // The cap bounds our own doubling, never what the server asked for.
        var ceiling = Math.Max(max.TotalMilliseconds, baseDelay.TotalMilliseconds);
        var delay = Math.Min(ceiling, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));

        // ±20 % so that many clients do not reconnect to a restarted replica in lockstep.
        var jitter = 0.8 + (0.4 * _random());
        return TimeSpan.FromMilliseconds(Math.Min(ceiling, delay * jitter));
    }

    public void Reset() => _attempt = 0;
}
