using System.Diagnostics.Metrics;

namespace Kavach.StreamApi.Diagnostics;

/// <summary>The stream's OpenTelemetry instruments (meter <c>Kavach.StreamApi</c>), shown in the Aspire dashboard.</summary>
public sealed class StreamMetrics
{
    public const string MeterName = "Kavach.StreamApi";

    private readonly Counter<long> _heartbeats;
    private readonly Histogram<double> _replayDuration;
    private readonly Counter<long> _emitted;
    private readonly Counter<long> _delivered;
    private readonly Histogram<double> _deliveryLatency;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _slowConsumers;
    private readonly Counter<long> _backfills;
    private readonly UpDownCounter<long> _activeConnections;

    public StreamMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _activeConnections = meter.CreateUpDownCounter<long>("kavach.stream.connections.active", "{connection}",
            "Open SSE streams on this replica.");
        _heartbeats = meter.CreateCounter<long>("kavach.stream.heartbeats", "{heartbeat}",
            "Heartbeat comments written to streams.");
        _replayDuration = meter.CreateHistogram<double>("kavach.stream.replay.duration", "s",
            "Time to replay missed events to a resuming stream, from first query to switching to live.");
        _emitted = meter.CreateCounter<long>("kavach.stream.events.emitted", "{event}",
            "Events newly committed by emits on this replica (retried duplicates not counted).");
        _delivered = meter.CreateCounter<long>("kavach.stream.events.delivered", "{event}",
            "Events written to streams, live or replayed.");
        _deliveryLatency = meter.CreateHistogram<double>("kavach.stream.delivery.latency", "s",
            "From an event's commit to its live write on a stream.");
        _rejected = meter.CreateCounter<long>("kavach.stream.connections.rejected", "{connection}",
            "Stream requests refused, by reason (unauthorized, limit, closed).");
        _slowConsumers = meter.CreateCounter<long>("kavach.stream.slow_consumers.disconnected", "{connection}",
            "Streams cut off because the client could not keep up with its queue.");
        _backfills = meter.CreateCounter<long>("kavach.stream.backfills", "{backfill}",
            "Times this replica read events from PostgreSQL that fan-out had not brought it (a gap or a missed tail).");
    }

    public void ConnectionOpened() => _activeConnections.Add(1);

    public void ConnectionClosed() => _activeConnections.Add(-1);

    public void Heartbeat() => _heartbeats.Add(1);

    public void Replayed(TimeSpan duration) => _replayDuration.Record(duration.TotalSeconds);

    public void Emitted(int count) => _emitted.Add(count);

    public void Delivered(int count) => _delivered.Add(count);

    public void DeliveredLive(TimeSpan latency) => _deliveryLatency.Record(Math.Max(0, latency.TotalSeconds));

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void SlowConsumerDisconnected() => _slowConsumers.Add(1);

    public void Backfilled() => _backfills.Add(1);
}
