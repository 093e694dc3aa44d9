using System.Threading.RateLimiting;
using Kavach.ServiceDefaults.Limits;
using Microsoft.Extensions.Options;

namespace Kavach.DevIdentity.SignIn;

/// <summary>
/// Password attempts per client address, counted before the password is compared: guessing slows to
/// <see cref="DevIdentityOptions.SignInPerAddress"/> tries a window for that address only.
/// </summary>
public sealed class PasswordThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _attempts;

    public PasswordThrottle(IOptions<DevIdentityOptions> options)
    {
        var limit = options.Value;
        _attempts = PartitionedRateLimiter.Create<string, string>(address => limit.SignInPerAddress > 0
            ? RateLimitPartition.GetTokenBucketLimiter(address, _ => RateWindow.Bucket(limit.SignInPerAddress, limit.SignInWindow))
            : RateLimitPartition.GetNoLimiter(""));
    }

    public bool TryAttempt(HttpContext context, out TimeSpan retryAfter)
    {
        using var lease = _attempts.AttemptAcquire(ClientAddress.KeyOf(context));
        retryAfter = lease.IsAcquired ? TimeSpan.Zero : RetryAfter.Of(lease, TimeSpan.FromSeconds(1));
        return lease.IsAcquired;
    }

    public void Dispose() => _attempts.Dispose();
}
