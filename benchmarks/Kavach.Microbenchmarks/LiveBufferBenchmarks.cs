using BenchmarkDotNet.Attributes;
using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;

namespace Kavach.Microbenchmarks;

/// <summary>
/// The fan-out offer: the hub appends each committed event once to the shared live buffer, and every stream reads
/// it from there by sequence. Appends are measured filling a buffer and then running it full (each append evicts
/// the oldest); reads are one stream walking the newest 1,024 events.
/// </summary>
[MemoryDiagnoser]
public class LiveBufferBenchmarks
{
    private const int Capacity = 16_384;
    private const int Appends = 65_536;
    private EventEnvelope[] _envelopes = null!;
    private LiveBuffer _full = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The buffer only takes the next sequence, so the envelopes are made beforehand for sequences 1..Appends.
        _envelopes = [.. Enumerable.Range(1, Appends).Select(i => EventEnvelope.From(Samples.Event(i), StreamPosition.FirstEpoch))];
        _full = Fill();
    }

    [Benchmark(Description = "LiveBuffer.Append (3 of 4 evict the oldest)", OperationsPerInvoke = Appends)]
    public long Append() => Fill().Head;

    [Benchmark(Description = "LiveBuffer.TryGet (a stream's next event)", OperationsPerInvoke = 1024)]
    public long TryGet()
    {
        long bytes = 0;
        var head = _full.Head;
        for (var sequence = head - 1023; sequence <= head; sequence++)
        {
            bytes += _full.TryGet(sequence)!.Frame.Length;
        }

        return bytes;
    }

    private LiveBuffer Fill()
    {
        var buffer = new LiveBuffer(StreamPosition.FirstEpoch, 0, Capacity, 32L * 1024 * 1024);
        foreach (var envelope in _envelopes)
        {
            buffer.Append(envelope);
        }

        return buffer;
    }
}
