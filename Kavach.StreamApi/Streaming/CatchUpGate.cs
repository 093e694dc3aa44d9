using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// Admission control for streams that are catching up: at most <c>MaxConcurrentCatchUps</c> of them read history
/// and format frames at once, one chunk per turn, so a reconnect storm takes bounded CPU and database connections
/// while live streams, which never wait here, keep their latency.
/// </summary>
public sealed class CatchUpGate(IOptions<StreamOptions> options, StreamMetrics metrics)
{
    private readonly SemaphoreSlim _turns = new(options.Value.MaxConcurrentCatchUps);
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

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

        return new Turn(_turns);
    }

    public readonly struct Turn(SemaphoreSlim turns) : IDisposable
    {
        public void Dispose() => turns.Release();
    }
}
