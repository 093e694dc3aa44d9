using Kavach.StreamApi.Auth;
using Kavach.StreamApi.FanOut;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// One open stream as the rest of the replica sees it: a signal that wakes its writer, the deadline of the write in
/// progress, and requests to write a heartbeat or to end. Owned by its <see cref="StreamSession"/>; watched by
/// <see cref="OpenStreams"/>. No timer of its own: one sweep serves every stream.
/// </summary>
public sealed class OpenStream(HttpContext context, Subscriber subscriber, TimeProvider time)
{
    private long _deadline;
    private int _heartbeatDue;
    private int _endRequested = -1;
    private int _aborted;

    public HttpContext Context { get; } = context;

    /// <summary>Who holds the stream's token: its expiry and identity decide when the stream must end.</summary>
    public Subscriber Subscriber { get; } = subscriber;

    public WakeSignal Signal { get; } = new();

    /// <summary>The stream asked for <c>checkpoint</c> events (<c>?checkpoints=true</c>).</summary>
    public bool WantsCheckpoints { get; init; }

    public StreamEnd? EndRequested => Volatile.Read(ref _endRequested) is var end and >= 0 ? (StreamEnd)end : null;

    public bool Aborted => Volatile.Read(ref _aborted) == 1;

    public void BeginWrite(TimeSpan timeout) =>
        Volatile.Write(ref _deadline, time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency));

    public void EndWrite() => Volatile.Write(ref _deadline, 0);

    /// <summary><paramref name="now"/> is a timestamp of the stream's <see cref="TimeProvider"/>.</summary>
    public bool IsPastDeadline(long now) => Volatile.Read(ref _deadline) is var deadline && deadline != 0 && now > deadline;

    public void RequestHeartbeat()
    {
        Volatile.Write(ref _heartbeatDue, 1);
        Signal.Set();
    }

    public bool TakeHeartbeat() => Interlocked.Exchange(ref _heartbeatDue, 0) == 1;

    /// <summary>Asks the writer to end the stream (the first reason wins).</summary>
    public void RequestEnd(StreamEnd reason)
    {
        Interlocked.CompareExchange(ref _endRequested, (int)reason, -1);
        Signal.Set();
    }

    /// <summary>Drops the connection at once: its socket is not taking bytes, so nothing more can be said.</summary>
    public bool Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 1)
        {
            return false;
        }

        Context.Abort();
        Signal.Set();
        return true;
    }
}
