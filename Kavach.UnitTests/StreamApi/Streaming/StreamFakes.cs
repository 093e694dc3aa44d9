using System.Collections.Concurrent;
using System.Text;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;

namespace Kavach.UnitTests.StreamApi.Streaming;

/// <summary>The hub as a stream sees it: a live buffer the test appends to, and epochs it begins.</summary>
internal sealed class FakeLiveEvents(long epoch, long startsAfter, int bufferEvents = 1000) : ILiveEvents
{
    private readonly ConcurrentDictionary<WakeSignal, byte> _listeners = new();
    private readonly ConcurrentDictionary<long, long> _sharedEnds = new();
    private LiveBuffer _buffer = new(epoch, startsAfter, bufferEvents, 1 << 20);

    public LiveBuffer Buffer => Volatile.Read(ref _buffer);

    public int Listening => _listeners.Count;

    public long? SharedHistoryEnd(long cursorEpoch, out bool unknownEpoch)
    {
        unknownEpoch = cursorEpoch > Buffer.Epoch;
        return cursorEpoch >= Buffer.Epoch ? null : _sharedEnds.GetValueOrDefault(cursorEpoch, 0);
    }

    public void Listen(WakeSignal signal) => _listeners.TryAdd(signal, 0);

    public void Unlisten(WakeSignal signal) => _listeners.TryRemove(signal, out _);

    public void Append(params StoredEvent[] events)
    {
        foreach (var e in events)
        {
            Buffer.Append(EventEnvelope.From(e, Buffer.Epoch));
        }

        Wake();
    }

    /// <summary>The database went back: a new epoch shares the history up to <paramref name="sharedEnd"/>.</summary>
    public void BeginEpoch(long newEpoch, long sharedEnd)
    {
        _sharedEnds[Buffer.Epoch] = sharedEnd;
        Volatile.Write(ref _buffer, new LiveBuffer(newEpoch, sharedEnd, 1000, 1 << 20));
        Wake();
    }

    public void Wake()
    {
        foreach (var (signal, _) in _listeners)
        {
            signal.Set();
        }
    }
}

/// <summary>PostgreSQL as a stream reads it: a list of committed events, what retention kept, and failures on demand.</summary>
internal sealed class FakeStreamHistory : IStreamHistory
{
    private readonly List<StoredEvent> _events = [];

    public long FirstKept { get; set; } = 1;

    public bool Failing { get; set; }

    public int PagesRead { get; private set; }

    /// <summary>Runs after each page is read (a revocation that lands between two pages, say).</summary>
    public Action<int>? AfterPage { get; set; }

    public void Add(params StoredEvent[] events)
    {
        lock (_events)
        {
            _events.AddRange(events);
        }
    }

    public Task<long> ReadLastAsync(CancellationToken cancellationToken)
    {
        lock (_events)
        {
            return Failing ? throw new TimeoutException("PostgreSQL is down (test)") : Task.FromResult(_events.Count == 0 ? 0 : _events[^1].Sequence);
        }
    }

    public Task<long> ReadFirstKeptAsync(CancellationToken cancellationToken) =>
        Failing ? throw new TimeoutException("PostgreSQL is down (test)") : Task.FromResult(FirstKept);

    public Task<List<StoredEvent>> ReadPageAsync(EventQuery query, CancellationToken cancellationToken)
    {
        if (Failing)
        {
            throw new TimeoutException("PostgreSQL is down (test)");
        }

        List<StoredEvent> page;
        lock (_events)
        {
            page = [.. _events.Where(e => e.Sequence > query.After && e.Sequence >= FirstKept
                && (query.Since is not { } since || e.Timestamp >= since)).Take(query.Limit)];
        }

        PagesRead++;
        AfterPage?.Invoke(PagesRead);
        return Task.FromResult(page);
    }
}

/// <summary>Revocations the test decides: revoked subjects, and whether they are current.</summary>
internal sealed class FakeRevocationList : IRevocationList
{
    private readonly ConcurrentDictionary<string, byte> _revokedSubjects = new();
    private volatile bool _current = true;

    public event Action<Revocation>? Added;

    public event Action? Known;

    public bool Current
    {
        get => _current;
        set
        {
            var was = _current;
            _current = value;
            if (value && !was)
            {
                Known?.Invoke();
            }
        }
    }

    public void RevokeSubject(string subject, DateTimeOffset at)
    {
        _revokedSubjects[subject] = 0;
        Added?.Invoke(new Revocation(1, RevocationKind.Subject, subject, "test", "admin", at, at.AddDays(1)));
    }

    private int _checks;

    /// <summary>How many times a token was checked: a stream asks before every write.</summary>
    public int Checks => Volatile.Read(ref _checks);

    public RevocationStatus Check(Subscriber subscriber) =>
        Interlocked.Increment(ref _checks) > 0 && subscriber.IsAnonymous ? RevocationStatus.Valid
        : _revokedSubjects.ContainsKey(subscriber.Id) ? RevocationStatus.Revoked
        : _current ? RevocationStatus.Valid : RevocationStatus.Unknown;

    public Task<bool> RefreshAsync(TimeSpan wait, CancellationToken cancellationToken) => Task.FromResult(_current);
}

/// <summary>What the server wrote to the client, split into SSE frames as they arrive.</summary>
internal sealed class FrameSink : Stream
{
    private readonly StringBuilder _text = new();

    public IReadOnlyList<string> Frames
    {
        get
        {
            lock (_text)
            {
                return [.. _text.ToString().Split("\n\n", StringSplitOptions.RemoveEmptyEntries)];
            }
        }
    }

    /// <summary>The frames of one kind (<c>event: audit</c>, <c>event: resync</c>…), or comments (<c>: heartbeat</c>).</summary>
    public IReadOnlyList<string> Named(string name) => [.. Frames.Where(f => f.StartsWith($"event: {name}\n", StringComparison.Ordinal))];

    /// <summary>The SSE ids of the event frames, in order.</summary>
    public IReadOnlyList<string> Ids => [.. Frames.Select(f => f.Split('\n').FirstOrDefault(l => l.StartsWith("id: ", StringComparison.Ordinal)))
        .Where(l => l is not null).Select(l => l![4..])];

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_text)
        {
            _text.Append(Encoding.UTF8.GetString(buffer, offset, count));
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_text)
        {
            _text.Append(Encoding.UTF8.GetString(buffer.Span));
        }

        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
