using System.Threading.Tasks.Sources;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// Wakes one stream's writer: when the hub appends events, when a heartbeat is due, or when the stream must end.
/// A wake that comes while the writer is busy is remembered, so none is lost; waiting allocates nothing, which
/// matters with tens of thousands of idle streams on a replica.
/// </summary>
public sealed class WakeSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Pending = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    /// <summary>Any thread, any number of times.</summary>
    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Pending:
                    return;
                case Idle when Interlocked.CompareExchange(ref _state, Pending, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting:
                    _core.SetResult(true);
                    return;
            }
        }
    }

    /// <summary>The stream's writer only, one wait at a time: completes at the next <see cref="Set"/>, or at once if one came since the last wait.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Pending) == Pending)
        {
            return ValueTask.CompletedTask;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
        {
            return new ValueTask(this, _core.Version);
        }

        // A Set came between the two steps.
        Volatile.Write(ref _state, Idle);
        return ValueTask.CompletedTask;
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
