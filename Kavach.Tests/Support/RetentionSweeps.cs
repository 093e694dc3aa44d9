using System.Diagnostics.Metrics;

namespace Kavach.Tests.Support;

/// <summary>
/// Counts the retention sweeps an in-process instance completes from now on (its <c>kavach.stream.retention.sweeps</c>
/// with outcome <c>swept</c>), so a test can wait for sweeps that removed nothing instead of guessing how long they take.
/// </summary>
public sealed class RetentionSweeps : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly SemaphoreSlim _swept = new(0);

    public RetentionSweeps(IMeterFactory instance)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == instance && instrument.Name == "kavach.stream.retention.sweeps")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "outcome", Value: "swept" })
                {
                    _swept.Release();
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Until <paramref name="count"/> sweeps have completed since this was made; fails after <paramref name="bound"/>.</summary>
    public async Task CompletedAsync(int count, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        for (var i = 0; i < count; i++)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.IsTrue(left > TimeSpan.Zero && await _swept.WaitAsync(left), $"{i} of {count} retention sweeps completed within {bound}");
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _swept.Dispose();
    }
}
