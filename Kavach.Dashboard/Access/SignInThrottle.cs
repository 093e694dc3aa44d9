using System.Threading.RateLimiting;
using Kavach.Dashboard.Options;
using Kavach.ServiceDefaults.Limits;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Access;

/// <summary>
/// Sign-in attempts per client address, counted before the key is compared: guessing the access key from one address
/// slows to <see cref="SignInLimitOptions.PerAddress"/> tries a window, and only that address waits — an operator
/// signing in from anywhere else is never locked out by it, and the attacker's own wait ends with the window.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _attempts;

    public SignInThrottle(IOptions<SignInLimitOptions> options)
    {
        var limit = options.Value;
        _attempts = PartitionedRateLimiter.Create<string, string>(address => limit.PerAddress > 0
            ? RateLimitPartition.GetTokenBucketLimiter(address, _ => RateWindow.Bucket(limit.PerAddress, limit.Window))
            : RateLimitPartition.GetNoLimiter(""));
    }

    /// <summary>True when this attempt may go on; otherwise how long its address must wait.</summary>
    public bool TryAttempt(HttpContext context, out TimeSpan retryAfter)
    {
        using var lease = _attempts.AttemptAcquire(ClientAddress.KeyOf(context));
        retryAfter = lease.IsAcquired ? TimeSpan.Zero : RetryAfter.Of(lease, TimeSpan.FromSeconds(1));
        return lease.IsAcquired;
    }

    public void Dispose() => _attempts.Dispose();
}
