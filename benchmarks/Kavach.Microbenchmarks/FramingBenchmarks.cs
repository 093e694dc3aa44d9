using BenchmarkDotNet.Attributes;
using Kavach.Contracts;
using Kavach.StreamApi.Events;

namespace Kavach.Microbenchmarks;

/// <summary>
/// The per-event work of a commit on its way out: the SSE frame (once per event, whatever the number of
/// subscribers) through the SSE formatter and straight from the stored body, the envelope (the frame from the body,
/// no serializer), and parsing a cursor (every resume).
/// </summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private StoredEvent _event = null!;
    private string _json = null!;
    private StreamPosition _position;

    [Params(48, 4096)]
    public int DataBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _event = Samples.Event(1_234_567, DataBytes);
        _json = Samples.Json(_event);
        _position = new StreamPosition(StreamPosition.FirstEpoch, 1_234_567);
    }

    [Benchmark(Description = "SseFrames.Event via SseFormatter (JSON string)")]
    public byte[] Frame() => SseFrames.Event(_position, _event.Type, _json);

    [Benchmark(Description = "SseFrames.Event from the stored body")]
    public byte[] FrameFromBody() => SseFrames.Event(_position, _event);

    [Benchmark(Description = "EventEnvelope.From (frame from the body)")]
    public EventEnvelope Envelope() => EventEnvelope.From(_event, StreamPosition.FirstEpoch);
}

/// <summary>Resume cursors: a bare sequence (first epoch) and an epoch-qualified one.</summary>
[MemoryDiagnoser]
public class CursorBenchmarks
{
    [Params("1234567", "2:1234567")]
    public string Cursor { get; set; } = "";

    [Benchmark(Description = "StreamPosition.TryParse")]
    public StreamPosition Parse() => StreamPosition.TryParse(Cursor, out var position) ? position : default;
}
