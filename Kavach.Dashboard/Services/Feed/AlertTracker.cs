using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Feed;

/// <summary>
/// Decides which events raise an alert: every <c>anomaly.detected</c> and <c>budget.exceeded</c>, and a burst of
/// <c>auth.failed</c> (threshold within a window, by event time). One burst raises one alert; a new one can follow
/// only after the window has passed. Not thread-safe: <see cref="EventFeed"/> calls it under its lock.
/// </summary>
public sealed class AlertTracker(int burstThreshold, TimeSpan burstWindow)
{
    private readonly Queue<DateTimeOffset> _recentFailures = new();
    private DateTimeOffset? _lastBurstAlertAt;
    private long _nextId;

    public Alert? Observe(KavachEvent e, DateTimeOffset now) => e.Type switch
    {
        EventTypes.AnomalyDetected => New(AlertKind.Anomaly, "Anomaly detected", EventSummary.Describe(e), e, now),
        EventTypes.BudgetExceeded => New(AlertKind.BudgetExceeded, "Budget exceeded", EventSummary.Describe(e), e, now),
        EventTypes.AuthFailed => ObserveFailure(e, now),
        _ => null,
    };

    private Alert? ObserveFailure(KavachEvent e, DateTimeOffset now)
    {
        _recentFailures.Enqueue(e.Timestamp);
        while (_recentFailures.Count > 0 && _recentFailures.Peek() <= e.Timestamp - burstWindow)
        {
            _recentFailures.Dequeue();
        }

        if (_recentFailures.Count < burstThreshold
            || (_lastBurstAlertAt is { } last && e.Timestamp - last < burstWindow))
        {
            return null;
        }

        _lastBurstAlertAt = e.Timestamp;
        return New(AlertKind.AuthFailedBurst, "Burst of failed sign-ins",
            $"{_recentFailures.Count} auth.failed within {burstWindow.TotalSeconds:0} s (latest: {EventSummary.Describe(e)})", e, now);
    }

    private Alert New(AlertKind kind, string title, string detail, KavachEvent e, DateTimeOffset now) =>
        new(++_nextId, kind, title, detail, e, now);
}
