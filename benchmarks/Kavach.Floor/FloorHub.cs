using System.Threading.Channels;

namespace Kavach.Floor;

/// <summary>
/// Sequences in memory and a bounded channel per stream. An emit takes the lock, numbers and frames its events,
/// keeps the frames for resume (a ring of the most recent), and offers them, as one chunk, to every stream's
/// channel; a stream whose channel is full is shed (it ends with SLOW_CONSUMER and resumes by Last-Event-ID).
/// </summary>
public sealed class FloorHub
{
    private readonly Lock _gate = new();
    private readonly byte[]?[] _history;
    private readonly long _mask;
    private readonly int _capacity;
    private Subscriber[] _subscribers = [];
    private long _head;

    public FloorHub(int channelCapacity, int historyEvents, TimeSpan heartbeat)
    {
        _capacity = channelCapacity;
        _history = new byte[]?[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)historyEvents)];
        _mask = _history.Length - 1;
        _ = HeartbeatAsync(heartbeat);
    }

    public long Head => Volatile.Read(ref _head);

    /// <summary>Numbers the events, frames each once (<paramref name="frame"/> gets the sequence), and offers them to every stream.</summary>
    public long Append(int count, Func<int, long, byte[]> frame)
    {
        lock (_gate)
        {
            var first = _head + 1;
            var frames = new byte[count][];
            var length = 0;
            for (var i = 0; i < count; i++)
            {
                frames[i] = frame(i, first + i);
                _history[(first + i) & _mask] = frames[i];
                length += frames[i].Length;
            }

            var bytes = count == 1 ? frames[0] : Concat(frames, length);
            Volatile.Write(ref _head, first + count - 1);
            var chunk = new Chunk(first + count - 1, bytes);
            foreach (var subscriber in _subscribers)
            {
                subscriber.Offer(chunk);
            }

            return first;
        }
    }

    /// <summary>Registers a stream before it reads history, and the head at that moment: history up to it, live after it.</summary>
    public (Subscriber Subscriber, long Snapshot) Subscribe()
    {
        var subscriber = new Subscriber(_capacity);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, subscriber];
            return (subscriber, _head);
        }
    }

    public void Unsubscribe(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers.Where(s => !ReferenceEquals(s, subscriber))];
        }
    }

    /// <summary>Frames after <paramref name="after"/> up to <paramref name="upTo"/> that the ring still holds.</summary>
    public IEnumerable<byte[]> History(long after, long upTo)
    {
        for (var sequence = Math.Max(after + 1, upTo - _history.Length + 1); sequence <= upTo; sequence++)
        {
            if (Volatile.Read(ref _history[sequence & _mask]) is { } frame)
            {
                yield return frame;
            }
        }
    }

    private static byte[] Concat(byte[][] frames, int length)
    {
        var bytes = new byte[length];
        var at = 0;
        foreach (var frame in frames)
        {
            frame.CopyTo(bytes, at);
            at += frame.Length;
        }

        return bytes;
    }

    private async Task HeartbeatAsync(TimeSpan interval)
    {
        var heartbeat = new Chunk(0, ": heartbeat\n\n"u8.ToArray());
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync())
        {
            foreach (var subscriber in Volatile.Read(ref _subscribers))
            {
                subscriber.Offer(heartbeat);
            }
        }
    }
}

/// <summary>Frames of one emit (or a heartbeat, <see cref="Last"/> 0), ending at sequence <see cref="Last"/>.</summary>
public sealed record Chunk(long Last, byte[] Bytes);

public sealed class Subscriber(int capacity)
{
    private readonly Channel<Chunk> _channel = Channel.CreateBounded<Chunk>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

    public ChannelReader<Chunk> Reader => _channel.Reader;

    public bool Shed { get; private set; }

    public void Offer(Chunk chunk)
    {
        if (!_channel.Writer.TryWrite(chunk) && !Shed)
        {
            Shed = true;
            _channel.Writer.TryComplete();
        }
    }
}
