using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// Admission control for streams that are catching up. At most <c>MaxConcurrentCatchUps</c> of them read history,
/// format and send it at once, one chunk per turn; and while others queue for turns (a storm), live delivery goes
/// first: a turn is not begun while live streams are writing (for at most <see cref="LivePriorityWait"/>, so history is
/// never starved). A reconnect storm therefore takes bounded CPU and database connections, and live streams, which never wait here, keep their latency.
/// </summary>
public sealed class CatchUpGate(IOptions<StreamOptions> options, StreamMetrics metrics, TimeProvider time)
{
    private static readonly TimeSpan LivePriorityWait = TimeSpan.FromMilliseconds(50);

    private readonly SemaphoreSlim _turns = new(options.Value.MaxConcurrentCatchUps);
    private readonly Lock _gate = new();
    private int _waiting;
    private int _liveWriting;
    private TaskCompletionSource? _liveIdle;

    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>A live stream starts writing; dispose when its write is flushed.</summary>
    public LiveWrite BeginLiveWrite()
    {
        Interlocked.Increment(ref _liveWriting);
        return new LiveWrite(this);
    }

    public async ValueTask<Turn> WaitTurnAsync(CancellationToken cancellationToken)
    {
        if (!_turns.Wait(0))
        {
            Interlocked.Increment(ref _waiting);
            metrics.CatchUpWaiting(+1);
            try
            {
                await _turns.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
                metrics.CatchUpWaiting(-1);
            }
        }

        // Only when others are queued for history too (a storm): one stream resuming alone goes at full speed.
        if (Volatile.Read(ref _liveWriting) > 0 && Waiting > 0)
        {
            try
            {
                await LiveIdle().WaitAsync(LivePriorityWait, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Live work keeps coming: history goes on anyway, one chunk.
            }
            catch (OperationCanceledException)
            {
                _turns.Release();
                throw;
            }
        }

        return new Turn(_turns);
    }

    private Task LiveIdle()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _liveWriting) == 0)
            {
                return Task.CompletedTask;
            }

            return (_liveIdle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private void EndLiveWrite()
    {
        if (Interlocked.Decrement(ref _liveWriting) == 0 && Volatile.Read(ref _liveIdle) is not null)
        {
            TaskCompletionSource? idle;
            lock (_gate)
            {
                if (Volatile.Read(ref _liveWriting) != 0)
                {
                    return;
                }

                idle = _liveIdle;
                _liveIdle = null;
            }

            idle?.TrySetResult();
        }
    }

    public readonly struct Turn(SemaphoreSlim turns) : IDisposable
    {
        public void Dispose() => turns.Release();
    }

    public readonly struct LiveWrite(CatchUpGate gate) : IDisposable
    {
        public void Dispose() => gate.EndLiveWrite();
    }
}
