using System.Diagnostics.Metrics;
using Kavach.StreamApi.Diagnostics;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>The witness's instruments, on the stream API's meter (<c>Kavach.StreamApi</c>).</summary>
public sealed class WitnessMetrics
{
    private readonly Counter<long> _appends;
    private readonly Histogram<double> _lag;
    private long _unwitnessed;

    public WitnessMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(StreamMetrics.MeterName);
        _appends = meter.CreateCounter<long>("kavach.integrity.witness.appends", "{checkpoint}",
            "Checkpoints this replica gave the witness, by outcome (recorded, already_recorded, contradicted, failed).");
        _lag = meter.CreateHistogram<double>("kavach.integrity.witness.lag", "s",
            "From a checkpoint's signing to its record in the witness, for the checkpoints this replica recorded.");
        meter.CreateObservableGauge("kavach.integrity.witness.unwitnessed", () => Interlocked.Read(ref _unwitnessed), "{checkpoint}",
            "This replica's stored checkpoints the witness did not take at its last try (failed or contradicted).");
    }

    public void Recorded(TimeSpan sinceSigning)
    {
        _appends.Add(1, new KeyValuePair<string, object?>("outcome", "recorded"));
        _lag.Record(Math.Max(0, sinceSigning.TotalSeconds));
    }

    public void AlreadyRecorded() => _appends.Add(1, new KeyValuePair<string, object?>("outcome", "already_recorded"));

    public void Contradicted() => _appends.Add(1, new KeyValuePair<string, object?>("outcome", "contradicted"));

    public void Failed() => _appends.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));

    public void Unwitnessed(long count) => Interlocked.Exchange(ref _unwitnessed, count);
}
