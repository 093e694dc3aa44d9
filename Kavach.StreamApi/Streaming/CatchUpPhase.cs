using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// A stream behind the hub's head. Each turn at the <see cref="CatchUpGate"/> writes one chunk — from the live buffer,
/// or from PostgreSQL when the buffer no longer holds the position (or the stream reads a time window) — and sends it
/// while the turn is held, so at most <c>MaxConcurrentCatchUps</c> streams spend CPU on history at once. A client too
/// slow to take the chunk within <see cref="TurnHold"/> keeps its flush but gives up the turn; one that stops closing
/// the gap to the head is cut off.
/// </summary>
public sealed class CatchUpPhase(StreamProgress progress, ReadScope scope, StreamOutput output, CursorRules cursors,
    IStreamHistory history, CatchUpGate gate, StreamMetrics metrics, StreamOptions options, TimeProvider time,
    ILogger logger, string clientId, CancellationToken aborted)
{
    public static readonly TimeSpan TurnHold = TimeSpan.FromMilliseconds(200);

    private long _windowLag;
    private TimeSpan _windowFlushTime;
    private int _estimatedRowBytes = 512;

    /// <summary>Starts measuring progress afresh: the stream was (re)placed behind the head.</summary>
    public void Begin(LiveBuffer buffer)
    {
        _windowLag = buffer.Head - progress.Sequence;
        _windowFlushTime = TimeSpan.Zero;
    }

    public async Task<StreamStep> TurnAsync(LiveBuffer buffer)
    {
        Task<bool> flush;
        long flushStarted;
        using (await gate.WaitTurnAsync(aborted))
        {
            if (progress.Since is not null || !buffer.Holds(progress.Sequence))
            {
                if (!await ReadStoreAsync(buffer))
                {
                    return StreamStep.EndWith(StreamEnd.StoreUnavailable);
                }
            }
            else
            {
                BufferChunk.Write(buffer, progress, scope, output, options.CatchUpChunkBytes, metrics, liveAt: null);
            }

            flushStarted = time.GetTimestamp();
            flush = output.FlushAsync(options.WriteTimeout).AsTask();
            if (!flush.IsCompleted)
            {
                await Task.WhenAny(flush, Task.Delay(TurnHold, time, CancellationToken.None));
            }
        }

        if (!await flush)
        {
            return StreamStep.EndWith(StreamEnd.ClientGone);
        }

        return IsClosingTheGap(time.GetElapsedTime(flushStarted), buffer) ? StreamStep.Stay : StreamStep.EndWith(StreamEnd.SlowConsumer);
    }

    /// <summary>One chunk of history from PostgreSQL (the caller holds a turn). False when the database failed.</summary>
    private async Task<bool> ReadStoreAsync(LiveBuffer buffer)
    {
        try
        {
            if (await cursors.CheckKeptAsync(progress, aborted) is { } expired)
            {
                output.WriteResync(expired);
                metrics.Resynced(expired.Reason!);
            }

            var headBefore = buffer.Head;
            // A whole page when nobody else waits for a turn; a chunk's worth of rows when others do.
            var limit = gate.Waiting == 0
                ? options.ReplayPageSize
                : Math.Clamp(options.CatchUpChunkBytes / _estimatedRowBytes, 1, options.ReplayPageSize);
            var page = await history.ReadPageAsync(new EventQuery(progress.Sequence, limit, scope, Since: progress.Since), aborted);
            var written = 0L;
            foreach (var row in page)
            {
                var frame = SseFrames.Event(new StreamPosition(progress.Epoch, row.Sequence), row);
                output.Write(frame);
                written += frame.Length;
            }

            metrics.Delivered(page.Count);
            if (page.Count > 0)
            {
                _estimatedRowBytes = (int)Math.Max(64, written / page.Count);
            }

            // A short page means nothing more matches up to when it was read, which covers the hub's head then.
            progress.Sequence = page.Count == limit
                ? page[^1].Sequence
                : Math.Max(page.Count > 0 ? page[^1].Sequence : progress.Sequence, headBefore);
            if (page.Count < limit)
            {
                progress.Since = null;
            }

            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            // The database, or a row that cannot be read: the stream ends cleanly, saying why, and the client resumes.
            logger.LogWarning(e, "Reading history for stream {ClientId} failed", clientId);
            return false;
        }
    }

    /// <summary>
    /// A stream that is catching up must get closer to the head. Over each window of time spent flushing to the client
    /// (time waiting for a turn does not count: that is the server's doing), its lag must have shrunk.
    /// </summary>
    private bool IsClosingTheGap(TimeSpan flushTime, LiveBuffer buffer)
    {
        _windowFlushTime += flushTime;
        if (_windowFlushTime < options.CatchUpProgressWindow)
        {
            return true;
        }

        var lag = buffer.Head - progress.Sequence;
        var closing = lag < _windowLag;
        _windowLag = lag;
        _windowFlushTime = TimeSpan.Zero;
        return closing;
    }
}
