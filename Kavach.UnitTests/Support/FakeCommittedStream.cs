using System.Collections.Concurrent;
using System.Text.Json;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Persistence;

namespace Kavach.UnitTests.Support;

/// <summary>
/// <see cref="ICommittedStream"/> in memory, answering as <c>EventStore</c>'s SQL does (<c>kavach_begin_epoch</c>
/// included). The events, the head and the epochs are the test's to change, as other replicas, a restore or a hand in
/// the database would; it records what the hub read.
/// </summary>
internal sealed class FakeCommittedStream : ICommittedStream
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, StoredEvent> _events = [];
    private readonly List<EpochStart> _epochs = [new(1, 0, 0)];
    private long _epoch = 1;
    private long _epochStartsAfter;
    private long _last;
    private TaskCompletionSource? _headGate;

    public Guid StreamId { get; } = Guid.NewGuid();

    /// <summary>When set, every read fails with it (PostgreSQL down).</summary>
    public Exception? Failure { get; set; }

    /// <summary>Every page read, as asked and answered.</summary>
    public ConcurrentQueue<(EventQuery Query, int Count)> Reads { get; } = new();

    public ConcurrentQueue<(long SeenEpoch, long AtLeast, long StartsAfter, string Reason)> BegunEpochs { get; } = new();

    /// <summary>Signalled when a head read waits at the gate (<see cref="HoldHeadReads"/>).</summary>
    public TaskCompletionSource HeadReadHeld { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static StoredEvent Event(long sequence, string id) =>
        new(sequence, id, "audit", null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            StoredEvent.BodyOf(id, "audit", DateTimeOffset.UnixEpoch, JsonDocument.Parse("{}").RootElement, null, null));

    /// <summary>Commits the next sequence (as any replica would); returns the stored event.</summary>
    public StoredEvent Commit(string? id = null)
    {
        lock (_gate)
        {
            var stored = Event(++_last, id ?? $"e{_epoch}-{_last}");
            _events[stored.Sequence] = stored;
            return stored;
        }
    }

    public List<StoredEvent> Commit(int count) => [.. Enumerable.Range(0, count).Select(_ => Commit())];

    /// <summary>Rows deleted from the database itself.</summary>
    public void Remove(params long[] sequences)
    {
        lock (_gate)
        {
            foreach (var sequence in sequences)
            {
                _events.Remove(sequence);
            }
        }
    }

    /// <summary>A restore from an older backup: the sequence goes back to <paramref name="last"/>.</summary>
    public void RestoreTo(long last)
    {
        lock (_gate)
        {
            foreach (var sequence in _events.Keys.Where(s => s > last).ToList())
            {
                _events.Remove(sequence);
            }

            _last = last;
        }
    }

    /// <summary>Another event where one was (a backup that held other events at the same sequences).</summary>
    public StoredEvent Replace(long sequence, string id)
    {
        lock (_gate)
        {
            return _events[sequence] = Event(sequence, id);
        }
    }

    /// <summary>Another replica began an epoch after <paramref name="startsAfter"/>.</summary>
    public void BeginEpochElsewhere(long startsAfter) => BeginEpoch(_epoch, _epoch + 1, startsAfter);

    /// <summary>Head reads wait (having read the head) until the returned release is called.</summary>
    public Action HoldHeadReads()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HeadReadHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _headGate, gate);
        return () =>
        {
            Volatile.Write(ref _headGate, null);
            gate.TrySetResult();
        };
    }

    public async Task<StreamHead> ReadHeadAsync(CancellationToken cancellationToken)
    {
        ThrowIfDown();
        StreamHead head;
        lock (_gate)
        {
            head = new StreamHead(StreamId, _epoch, _epochStartsAfter, _last, _events.Count == 0 ? null : _events.Keys.First());
        }

        if (Volatile.Read(ref _headGate) is { } gate)
        {
            HeadReadHeld.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        return head;
    }

    public Task<List<StoredEvent>> ReadAsync(EventQuery query, CancellationToken cancellationToken, bool fromHistoryPool = false)
    {
        ThrowIfDown();
        Assert.IsNull(query.Scope, "the hub reads every event");
        Assert.IsFalse(query.NewestFirst);
        lock (_gate)
        {
            var page = _events.Values.Where(e => e.Sequence > query.After && (query.UpTo is not { } upTo || e.Sequence <= upTo))
                .Take(query.Limit).ToList();
            Reads.Enqueue((query, page.Count));
            return Task.FromResult(page);
        }
    }

    public Task<Dictionary<long, string>> ReadIdsAsync(long from, long to, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_gate)
        {
            return Task.FromResult(_events.Values.Where(e => e.Sequence >= from && e.Sequence <= to).ToDictionary(e => e.Sequence, e => e.Id));
        }
    }

    public Task<List<EpochStart>> ReadEpochsAsync(CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_gate)
        {
            return Task.FromResult(_epochs.ToList());
        }
    }

    public Task BeginEpochAsync(long seenEpoch, long atLeast, long startsAfter, string reason, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        BegunEpochs.Enqueue((seenEpoch, atLeast, startsAfter, reason));
        BeginEpoch(seenEpoch, atLeast, startsAfter);
        return Task.CompletedTask;
    }

    /// <summary>As <c>kavach_begin_epoch</c>: only from the epoch seen, above it and <paramref name="atLeast"/>, never after the last sequence.</summary>
    private void BeginEpoch(long seenEpoch, long atLeast, long startsAfter)
    {
        lock (_gate)
        {
            if (_epoch != seenEpoch)
            {
                return;
            }

            _epoch = Math.Max(_epoch + 1, atLeast);
            _epochStartsAfter = Math.Min(startsAfter, _last);
            _epochs.RemoveAll(e => e.Epoch == _epoch);
            _epochs.Add(new EpochStart(_epoch, _epochStartsAfter, _last));
        }
    }

    private void ThrowIfDown()
    {
        if (Failure is { } failure)
        {
            throw failure;
        }
    }
}
