using System.Threading.RateLimiting;
using Kavach.ServiceDefaults.Limits;
using Kavach.StreamApi.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Limits;

/// <summary>
/// Per token subject, counted only once the token is checked: only the holder of a valid token can use up its
/// subject's allowance — a forged token naming a victim's <c>sub</c> is refused before it counts. Also the events
/// budget of verification, charged the whole range up front.
/// </summary>
public sealed class SubjectLimits : IDisposable
{
    private readonly Dictionary<LimitedEndpoint, PartitionedRateLimiter<string>> _requests;
    private readonly PartitionedRateLimiter<string> _verifiedEvents;

    public SubjectLimits(IOptions<LimitsOptions> options)
    {
        var limits = options.Value;
        _requests = Enum.GetValues<LimitedEndpoint>().ToDictionary(e => e, e => PerSubject(e.In(limits).Limit.PerSubject, e.In(limits).Limit.Window));
        _verifiedEvents = PerSubject(limits.Verify.EventsPerSubject, limits.Verify.Window);
    }

    /// <summary>Null when <paramref name="subject"/> may go on; otherwise the 429 to answer.</summary>
    public ProblemHttpResult? Check(HttpContext context, LimitedEndpoint endpoint, string subject)
    {
        using var lease = _requests[endpoint].AttemptAcquire(subject);
        return lease.IsAcquired ? null : LimitRefusal.Create(context, endpoint, LimitKind.PerSubject, lease);
    }

    /// <summary>Null when <paramref name="subject"/> may have <paramref name="events"/> more events verified; otherwise the 429 to answer.</summary>
    public ProblemHttpResult? ChargeVerification(HttpContext context, string subject, long events)
    {
        using var lease = _verifiedEvents.AttemptAcquire(subject, (int)Math.Clamp(events, 0, int.MaxValue));
        return lease.IsAcquired ? null : LimitRefusal.Create(context, LimitedEndpoint.Verify, LimitKind.VerifyBudget,
            RetryAfter.Of(lease, TimeSpan.FromSeconds(1)), events);
    }

    public void Dispose()
    {
        foreach (var limiter in _requests.Values)
        {
            limiter.Dispose();
        }

        _verifiedEvents.Dispose();
    }

    private static PartitionedRateLimiter<string> PerSubject(int limit, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(subject => limit > 0
            ? RateLimitPartition.GetTokenBucketLimiter(subject, _ => RateWindow.Bucket(limit, window))
            : RateLimitPartition.GetNoLimiter(""));
}
