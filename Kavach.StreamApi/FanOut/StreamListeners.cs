using System.Collections.Concurrent;

namespace Kavach.StreamApi.FanOut;

/// <summary>The signals of the streams that wait for the hub: each is set whenever the hub delivered or began an epoch.</summary>
internal sealed class StreamListeners
{
    private readonly ConcurrentDictionary<WakeSignal, byte> _signals = new();

    public void Add(WakeSignal signal) => _signals.TryAdd(signal, 0);

    public void Remove(WakeSignal signal) => _signals.TryRemove(signal, out _);

    public void WakeAll()
    {
        // Enumerating the dictionary itself takes no lock and copies nothing (Keys would copy).
        foreach (var (signal, _) in _signals)
        {
            signal.Set();
        }
    }
}
