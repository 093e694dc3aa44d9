using Kavach.LoadGen.Measuring;

namespace Kavach.LoadGen.Webhooks;

/// <summary>
/// What one webhook endpoint (one path) received: every sequence once and in order (<see cref="OrderCheck"/>, from its
/// first delivery on), when its first and last deliveries came (monotonic), the worst emit→delivery latency, and
/// deliveries whose signature did not verify.
/// </summary>
public sealed class EndpointTally(string path)
{
    private readonly Lock _lock = new();
    private readonly OrderCheck _order = new(-1);
    private long _firstNanos;
    private long _lastNanos;
    private long _maxLatencyMicros;
    private long _badSignatures;

    public string Path { get; } = path;

    public void See(long sequence, long receivedNanos, long? latencyMicros, bool signatureBad)
    {
        lock (_lock)
        {
            _order.See(1, sequence);
            _firstNanos = _firstNanos == 0 ? receivedNanos : _firstNanos;
            _lastNanos = receivedNanos;
            if (latencyMicros is { } latency && latency > _maxLatencyMicros)
            {
                _maxLatencyMicros = latency;
            }

            _badSignatures += signatureBad ? 1 : 0;
        }
    }

    public EndpointSummary Summarize()
    {
        lock (_lock)
        {
            return new EndpointSummary(Path, _order.Events, _order.Last, _order.Missing, _order.Duplicates, _order.OutOfOrder,
                _firstNanos, _lastNanos, _maxLatencyMicros, _badSignatures);
        }
    }
}

/// <summary>An endpoint's tally as <c>GET /stats</c> serves it.</summary>
public sealed record EndpointSummary(string Path, long Events, long Last, long Missing, long Duplicates, long OutOfOrder,
    long FirstNanos, long LastNanos, long MaxLatencyMicros, long BadSignatures);
