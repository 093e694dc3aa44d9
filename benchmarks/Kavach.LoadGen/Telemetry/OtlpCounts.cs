namespace Kavach.LoadGen.Telemetry;

/// <summary>What an OTLP sink received, per signal: export requests, bytes as sent, and the items they carried.</summary>
public sealed class OtlpCounts
{
    public SignalCount Traces { get; } = new();

    public SignalCount Metrics { get; } = new();

    public SignalCount Logs { get; } = new();

    /// <summary>Requests whose body was not a protobuf message (answered 400, not counted above).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    private long _malformed;

    /// <summary>The counter of an OTLP/HTTP path's last segment (traces, metrics, logs), or null.</summary>
    public SignalCount? For(string signal) => signal switch
    {
        "traces" => Traces,
        "metrics" => Metrics,
        "logs" => Logs,
        _ => null,
    };

    public void CountMalformed() => Interlocked.Increment(ref _malformed);

    /// <summary>The figures as printed and served at <c>/stats</c>: the items are spans, metrics and log records.</summary>
    public object Snapshot() => new
    {
        traces = Traces.Snapshot(),
        metrics = Metrics.Snapshot(),
        logs = Logs.Snapshot(),
        malformed = Malformed,
    };

    /// <summary>One signal's totals, added to from any thread.</summary>
    public sealed class SignalCount
    {
        private long _requests;
        private long _bytes;
        private long _items;

        public long Requests => Interlocked.Read(ref _requests);

        public long Bytes => Interlocked.Read(ref _bytes);

        public long Items => Interlocked.Read(ref _items);

        public void Add(long bytes, long items)
        {
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _bytes, bytes);
            Interlocked.Add(ref _items, items);
        }

        public object Snapshot() => new { requests = Requests, bytes = Bytes, items = Items };
    }
}
