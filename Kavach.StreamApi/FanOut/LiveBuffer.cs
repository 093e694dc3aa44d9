using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// The most recent committed events of one epoch, in sequence order, shared by every stream on the replica. The hub
/// appends (one writer); streams read from their own position without locks. The oldest events are evicted when
/// either the event or the byte limit is reached, so memory is bounded by configuration, not by the number of
/// streams or by how slow any of them is.
/// </summary>
public sealed class LiveBuffer
{
    private readonly EventEnvelope?[] _slots;
    private readonly long _mask;
    private readonly int _maxEvents;
    private readonly long _maxBytes;
    private long _head;
    private long _tail;
    private long _bytes;
    private long _totalBytes;
    private long _prunedBefore;

    public LiveBuffer(long epoch, long startsAfter, int maxEvents, long maxBytes)
    {
        Epoch = epoch;
        StartsAfter = startsAfter;
        _maxEvents = maxEvents;
        _maxBytes = maxBytes;
        _slots = new EventEnvelope?[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)maxEvents)];
        _mask = _slots.Length - 1;
        _head = startsAfter;
        _tail = startsAfter + 1;
    }

    public long Epoch { get; }

    /// <summary>The sequence this buffer started after: where the hub stood when the epoch began or the hub started.</summary>
    public long StartsAfter { get; }

    /// <summary>The last sequence appended.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>The oldest sequence still held (Head + 1 when empty).</summary>
    public long Tail => Volatile.Read(ref _tail);

    public long Count => Head - Tail + 1;

    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>The hub only: the next sequence, exactly Head + 1.</summary>
    public void Append(EventEnvelope envelope)
    {
        if (envelope.Sequence != _head + 1 || envelope.Epoch != Epoch)
        {
            throw new InvalidOperationException(
                $"Appending {envelope.Position} after {new StreamPosition(Epoch, _head)}: the live buffer only takes the next sequence.");
        }

        var length = envelope.Frame.Length;
        while (_tail <= _head && (_head - _tail + 1 >= _maxEvents || _bytes + length > _maxBytes))
        {
            // Move the tail first: a reader that sees the old slot afterwards finds a sequence that is no longer its own.
            var evicted = _slots[_tail & _mask]!;
            Volatile.Write(ref _tail, _tail + 1);
            Volatile.Write(ref _bytes, _bytes - evicted.Frame.Length);
        }

        _totalBytes += length;
        envelope.EndOffset = _totalBytes;
        Volatile.Write(ref _slots[envelope.Sequence & _mask], envelope);
        Volatile.Write(ref _bytes, _bytes + length);
        Volatile.Write(ref _head, envelope.Sequence);
    }

    /// <summary>Events below this were removed by retention (not pushed out by newer ones): a reader there missed nothing it could get.</summary>
    public long PrunedBefore => Volatile.Read(ref _prunedBefore);

    /// <summary>The hub only: drops events below <paramref name="firstKept"/>, which retention removed from PostgreSQL.</summary>
    public void EvictBefore(long firstKept)
    {
        if (firstKept > _prunedBefore)
        {
            Volatile.Write(ref _prunedBefore, firstKept);
        }

        while (_tail <= _head && _tail < firstKept)
        {
            var evicted = _slots[_tail & _mask]!;
            Volatile.Write(ref _tail, _tail + 1);
            Volatile.Write(ref _bytes, _bytes - evicted.Frame.Length);
        }
    }

    /// <summary>The event at <paramref name="sequence"/>, or null when it is not (or no longer) held.</summary>
    public EventEnvelope? TryGet(long sequence)
    {
        if (sequence > Head || sequence < Tail)
        {
            return null;
        }

        var envelope = Volatile.Read(ref _slots[sequence & _mask]);
        return envelope?.Sequence == sequence ? envelope : null;
    }

    /// <summary>True when every event after <paramref name="position"/> up to the head is held.</summary>
    public bool Holds(long position) => position + 1 >= Tail;

    /// <summary>
    /// Bytes of frames after <paramref name="position"/> up to the head; null when part of that range is no longer held.
    /// </summary>
    public long? BytesAfter(long position)
    {
        var head = Head;
        if (position >= head)
        {
            return 0;
        }

        var first = TryGet(position + 1);
        var last = TryGet(head);
        return first is null || last is null ? null : last.EndOffset - first.EndOffset + first.Frame.Length;
    }
}
