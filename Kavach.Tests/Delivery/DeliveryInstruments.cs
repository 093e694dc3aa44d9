using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Kavach.Tests.Delivery;

/// <summary>Sums what the delivery engine's counters record in this process (every in-process host's, while it listens).</summary>
internal sealed class DeliveryInstruments : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public DeliveryInstruments()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Kavach.StreamApi" && instrument.Name.StartsWith("kavach.delivery.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _listener.Start();
    }

    public long Sum(string instrument) => _sums.GetValueOrDefault(instrument);

    public void Dispose() => _listener.Dispose();
}
