using System.Diagnostics.Metrics;
using Kavach.StreamApi.Diagnostics;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// The delivery engine's instruments, on the service's meter (<see cref="StreamMetrics.MeterName"/>): attempts and
/// their outcomes, failures, deliveries, each held destination's lag behind the head, the oldest event not yet
/// delivered, how many destinations are paused, how long attempts take, and how often cursors are written.
/// </summary>
public sealed class DeliveryMetrics
{
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _pausedAtHorizon;
    private readonly Counter<long> _cursorWrites;
    private readonly Histogram<double> _duration;
    private Func<IEnumerable<Measurement<long>>> _lags = () => [];
    private Func<double> _oldestAge = () => 0;
    private int _paused;

    public DeliveryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(StreamMetrics.MeterName);
        _attempts = meter.CreateCounter<long>("kavach.delivery.attempts", "{attempt}",
            "Push attempts, by kind (webhook, ssf) and outcome (accepted, rejected, failed, refused).");
        _failures = meter.CreateCounter<long>("kavach.delivery.failures", "{attempt}",
            "Push attempts that did not deliver, by kind and outcome (rejected: the receiver answered no; failed: no answer; refused: the target policy).");
        _delivered = meter.CreateCounter<long>("kavach.delivery.delivered", "{message}",
            "Messages receivers accepted, by kind.");
        _pausedAtHorizon = meter.CreateCounter<long>("kavach.delivery.paused_at_horizon", "{destination}",
            "Destinations this replica paused because they failed for the whole retry horizon (the alert).");
        _cursorWrites = meter.CreateCounter<long>("kavach.delivery.cursor_writes", "{write}",
            "Cursor writes to PostgreSQL (one per batch of deliveries, not per delivery), by kind.");
        _duration = meter.CreateHistogram<double>("kavach.delivery.duration", "s",
            "One push attempt, connect to answer, by kind and outcome.");
        meter.CreateObservableGauge("kavach.delivery.lag", () => _lags(), "{event}",
            "Events between each held destination's cursor and the head, by destination id.");
        meter.CreateObservableGauge("kavach.delivery.oldest_undelivered_age", () => _oldestAge(), "s",
            "Age of the oldest event a destination held by this replica is waiting to deliver (0 when all are caught up).");
        meter.CreateObservableGauge("kavach.delivery.paused", () => Volatile.Read(ref _paused), "{destination}",
            "Destinations paused now (by the retry horizon or an admin), across all replicas.");
    }

    /// <summary>The engine tells where to read its destinations' lag and oldest undelivered event from.</summary>
    public void Observe(Func<IEnumerable<Measurement<long>>> lags, Func<double> oldestAgeSeconds)
    {
        _lags = lags;
        _oldestAge = oldestAgeSeconds;
    }

    public void Attempted(DestinationKind kind, SendOutcome outcome)
    {
        var kindTag = new KeyValuePair<string, object?>("kind", DestinationStore.KindText(kind));
        var outcomeTag = new KeyValuePair<string, object?>("outcome", Outcome(outcome.Result));
        _attempts.Add(1, kindTag, outcomeTag);
        _duration.Record(outcome.Duration.TotalSeconds, kindTag, outcomeTag);
        if (outcome.IsAccepted)
        {
            _delivered.Add(1, kindTag);
        }
        else
        {
            _failures.Add(1, kindTag, outcomeTag);
        }
    }

    public void CursorWritten(DestinationKind kind) => _cursorWrites.Add(1, new KeyValuePair<string, object?>("kind", DestinationStore.KindText(kind)));

    public void PausedAtHorizon(DestinationKind kind) => _pausedAtHorizon.Add(1, new KeyValuePair<string, object?>("kind", DestinationStore.KindText(kind)));

    public void Paused(int count) => Volatile.Write(ref _paused, count);

    private static string Outcome(SendResult result) => result switch
    {
        SendResult.Accepted => "accepted",
        SendResult.Rejected => "rejected",
        SendResult.Refused => "refused",
        _ => "failed",
    };
}
