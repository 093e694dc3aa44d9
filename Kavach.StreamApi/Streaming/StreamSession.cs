using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Json;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// One open stream, after auth and admission: history the client missed, then live events, with no gap and no
/// duplicate, in sequence order. The stream keeps only its position: events come from the hub's live buffer, or,
/// when the position is older than the buffer holds, from PostgreSQL a page at a time. While catching up it takes
/// turns at the <see cref="CatchUpGate"/>; once caught up it is live and never waits there. A live stream that falls
/// out of the buffer, a catching-up one that stops closing the gap, or one whose socket stops taking bytes, is cut
/// off — once, counted once, told why when it can still be told — and resumes by Last-Event-ID.
/// </summary>
public sealed class StreamSession(
    EventHub hub,
    EventStore store,
    OpenStreams openStreams,
    CatchUpGate gate,
    StreamMetrics metrics,
    Integrity.CheckpointService checkpoints,
    Revocations revocations,
    IOptions<StreamOptions> options,
    ILogger<StreamSession> logger)
{
    private static readonly TimeSpan FarewellTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TurnHold = TimeSpan.FromMilliseconds(200);

    public async Task RunAsync(HttpContext context, Subscriber subscriber, ReadScope scope, StreamCursor cursor, bool withCheckpoints = false)
    {
        var stream = new OpenStream(context, subscriber) { WantsCheckpoints = withCheckpoints };
        var writer = new Writer(this, stream, scope);
        var end = StreamEnd.ClientGone;
        using (context.RequestAborted.UnsafeRegister(static s => ((StreamSignal)s!).Set(), stream.Signal))
        {
            openStreams.Add(stream);
            // A revocation this replica learnt of between the token check and now ended no stream of this one's: check again.
            if (_revocations.Check(subscriber) == RevocationStatus.Revoked)
            {
                stream.RequestEnd(StreamEnd.TokenRevoked);
            }

            _hub.Listen(stream.Signal);
            try
            {
                end = await writer.RunAsync(cursor);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                end = stream.Aborted ? StreamEnd.WriteTimeout : StreamEnd.ClientGone;
            }
            finally
            {
                _hub.Unlisten(stream.Signal);
                openStreams.Remove(stream);
            }
        }

        _metrics.StreamEnded(end);

        if (end is StreamEnd.SlowConsumer or StreamEnd.StoreUnavailable or StreamEnd.WriteTimeout)
        {
            _logger.LogInformation("Ended stream {ClientId} of {Subscriber} at {Position}: {Reason}",
                context.TraceIdentifier, subscriber.Id, writer.Position, end);
        }
    }

    /// <summary>The state of one stream's writer; lives as long as the connection.</summary>
    private sealed class Writer(StreamSession session, OpenStream stream, ReadScope scope)
    {
        private readonly StreamOptions _options = session._options;
        private readonly PipeWriter _output = stream.Context.Response.BodyWriter;
        private readonly CancellationToken _aborted = stream.Context.RequestAborted;
        private long _epoch;
        private long _position;
        private long _checkpointSent;
        private DateTimeOffset? _since;
        private bool _live;
        private bool _oldestChecked;
        private bool _unflushed;
        private long _windowLag;
        private TimeSpan _windowFlushTime;
        private int _estimatedRowBytes = 512;
        private readonly long _started = Stopwatch.GetTimestamp();

        public StreamPosition Position => new(_epoch, _position);

        public async Task<StreamEnd> RunAsync(StreamCursor cursor)
        {
            var buffer = session._hub.Buffer;
            _epoch = buffer.Epoch;
            Write(SseFrames.Retry(_options.ReconnectDelay));
            Write(SseFrames.Named(StreamFrameNames.Connected, JsonSerializer.Serialize(new
            {
                clientId = stream.Context.TraceIdentifier,
                subscriberId = stream.Subscriber.Id,
                epoch = _epoch,
                timestamp = DateTimeOffset.UtcNow,
            })));
            try
            {
                await StartAtAsync(cursor, buffer);
            }
            catch (Exception e) when (e is not OperationCanceledException || !_aborted.IsCancellationRequested)
            {
                session._logger.LogWarning(e, "Placing stream {ClientId} at its cursor failed", stream.Context.TraceIdentifier);
                return await EndAsync(StreamEnd.StoreUnavailable);
            }

            if (!await FlushAsync(_options.WriteTimeout))
            {
                return StreamEnd.ClientGone;
            }

            _windowLag = buffer.Head - _position;
            while (true)
            {
                if (stream.EndRequested is { } end)
                {
                    return await EndAsync(end);
                }

                if (_aborted.IsCancellationRequested)
                {
                    return stream.Aborted ? StreamEnd.WriteTimeout : StreamEnd.ClientGone;
                }

                buffer = session._hub.Buffer;
                if (buffer.Epoch != _epoch)
                {
                    ResyncToEpoch(buffer);
                    continue;
                }

                if (stream.TakeHeartbeat())
                {
                    Write(SseFrames.Heartbeat.Span);
                    session._metrics.Heartbeat();
                }

                if (stream.WantsCheckpoints && session._checkpoints.Latest is { } checkpoint && checkpoint.Epoch == _epoch
                    && checkpoint.Sequence <= _position && checkpoint.Sequence > _checkpointSent)
                {
                    // Announced once the stream has sent everything it covers, so a reader can check its chain there.
                    Write(SseFrames.Named("checkpoint", JsonSerializer.Serialize(checkpoint.ToView(), JsonSerializerOptions.Web)));
                    _checkpointSent = checkpoint.Sequence;
                }

                if (!session._revocations.IsCurrent && !stream.Subscriber.IsAnonymous)
                {
                    // Whether the token was revoked cannot be told now: nothing more is sent until it can (heartbeats go on).
                    if (_unflushed && !await FlushAsync(_options.WriteTimeout))
                    {
                        return StreamEnd.ClientGone;
                    }

                    await stream.Signal.WaitAsync();
                    continue;
                }

                if (_position >= buffer.Head)
                {
                    if (!_live)
                    {
                        _live = true;
                        session._metrics.Replayed(Stopwatch.GetElapsedTime(_started));
                    }

                    _since = null;
                    if (_unflushed && !await FlushAsync(_options.WriteTimeout))
                    {
                        return StreamEnd.ClientGone;
                    }

                    await stream.Signal.WaitAsync();
                    continue;
                }

                if (_live && !buffer.Holds(_position))
                {
                    if (_position + 1 >= buffer.PrunedBefore)
                    {
                        return await EndAsync(StreamEnd.SlowConsumer); // pushed out by newer events: it fell behind
                    }

                    // Retention removed what came next, from PostgreSQL and memory alike: say so and go on from what is kept.
                    _live = false;
                    _oldestChecked = false;
                }

                if (_live)
                {
                    using (session._gate.BeginLiveWrite())
                    {
                        WriteFromBuffer(buffer);
                        if (!await FlushAsync(_options.WriteTimeout))
                        {
                            return StreamEnd.ClientGone;
                        }
                    }

                    continue;
                }

                if (await CatchUpTurnAsync(buffer) is { } ended)
                {
                    return ended == StreamEnd.ClientGone ? ended : await EndAsync(ended);
                }
            }
        }

        /// <summary>
        /// One turn of catching up: a chunk from the buffer, or from PostgreSQL when the buffer no longer holds the
        /// position, written and sent while the turn is held — so at most <c>MaxConcurrentCatchUps</c> streams spend
        /// CPU on history at once. A client too slow to take the chunk within <see cref="TurnHold"/> keeps its flush
        /// but gives up the turn. Null when the stream goes on.
        /// </summary>
        private async Task<StreamEnd?> CatchUpTurnAsync(LiveBuffer buffer)
        {
            Task<bool> flush;
            long flushStarted;
            using (await session._gate.WaitTurnAsync(_aborted))
            {
                if (_since is not null || !buffer.Holds(_position))
                {
                    if (!await CatchUpFromStoreAsync(buffer))
                    {
                        return StreamEnd.StoreUnavailable;
                    }
                }
                else
                {
                    WriteFromBuffer(buffer);
                }

                flushStarted = Stopwatch.GetTimestamp();
                flush = FlushAsync(_options.WriteTimeout).AsTask();
                if (!flush.IsCompleted)
                {
                    await Task.WhenAny(flush, Task.Delay(TurnHold, CancellationToken.None));
                }
            }

            if (!await flush)
            {
                return StreamEnd.ClientGone;
            }

            return IsClosingTheGap(Stopwatch.GetElapsedTime(flushStarted), buffer) ? null : StreamEnd.SlowConsumer;
        }

        /// <summary>Places the stream at its cursor, telling the client with <c>resync</c> when that cannot be exact.</summary>
        private async Task StartAtAsync(StreamCursor cursor, LiveBuffer buffer)
        {
            if (cursor.Since is { } since)
            {
                _since = since;
                _oldestChecked = true; // a time window, not a position: whatever is kept in it is the answer
                return;
            }

            if (cursor.After is not { } after)
            {
                _position = buffer.Head;
                _live = true;
                return;
            }

            _position = after.Sequence;
            if (session._hub.SharedHistoryEnd(after.Epoch, out var unknownEpoch) is { } shared && after.Sequence > shared)
            {
                _position = shared;
                Resync(ResyncReasons.EpochChanged, resumeAfter: shared);
                return;
            }

            var ahead = unknownEpoch;
            if (!ahead && after.Sequence > buffer.Head)
            {
                // This replica may simply be a moment behind the one the client came from: the database decides.
                try
                {
                    ahead = after.Sequence > (await session._store.ReadHeadAsync(_aborted)).Last;
                }
                catch (Exception e) when (DatabaseFailures.IsFailure(e))
                {
                    // Unknown now; the stream waits at the cursor for the hub.
                }
            }

            if (ahead)
            {
                var firstKept = await session._store.ReadFirstKeptAsync(_aborted);
                _position = firstKept - 1;
                _oldestChecked = true;
                Resync(ResyncReasons.CursorAheadOfStream, oldestSequence: firstKept);
            }
        }

        /// <summary>The epoch changed under the stream: back to the last shared sequence, and say so.</summary>
        private void ResyncToEpoch(LiveBuffer buffer)
        {
            var shared = session._hub.SharedHistoryEnd(_epoch, out _) ?? buffer.StartsAfter;
            _position = Math.Min(_position, shared);
            _epoch = buffer.Epoch;
            _live = false;
            _oldestChecked = false;
            _windowLag = buffer.Head - _position;
            _windowFlushTime = TimeSpan.Zero;
            _checkpointSent = 0;
            Resync(ResyncReasons.EpochChanged, resumeAfter: _position);
        }

        /// <summary>
        /// Every resync names the stream's epoch, whatever its reason: a reader whose position is from another epoch (a
        /// database that was reset or restored cold, epoch 1 again) learns where the stream now is.
        /// </summary>
        private void Resync(string reason, long? oldestSequence = null, long? resumeAfter = null)
        {
            var resync = new Kavach.Contracts.Resync(reason, oldestSequence, _epoch, resumeAfter);
            Write(SseFrames.Named(StreamFrameNames.Resync, JsonSerializer.Serialize(resync, Kavach.Contracts.KavachJson.Options)));
            session._metrics.Resynced(reason);
        }

        /// <summary>Writes from the buffer after the position, up to one chunk; events of other types are skipped.</summary>
        private void WriteFromBuffer(LiveBuffer buffer)
        {
            var written = 0L;
            var count = 0;
            EventEnvelope? oldest = null;
            while (_position < buffer.Head && written < _options.CatchUpChunkBytes)
            {
                if (buffer.TryGet(_position + 1) is not { } envelope)
                {
                    break; // evicted meanwhile: the loop decides what that means
                }

                _position = envelope.Sequence;
                if (!scope.Allows(envelope))
                {
                    continue;
                }

                Write(envelope.Frame);
                written += envelope.Frame.Length;
                count++;
                oldest ??= envelope;
            }

            session._metrics.Delivered(count);
            if (_live && oldest is not null)
            {
                session._metrics.DeliveredLive(DateTimeOffset.UtcNow - oldest.CommittedAt); // once per write, not per event
            }
        }

        /// <summary>One chunk of history from PostgreSQL (the caller holds a turn). False when the database failed.</summary>
        private async Task<bool> CatchUpFromStoreAsync(LiveBuffer buffer)
        {
            try
            {
                if (!_oldestChecked)
                {
                    _oldestChecked = true;
                    var firstKept = await session._store.ReadFirstKeptAsync(_aborted);
                    if (_position + 1 < firstKept)
                    {
                        _position = firstKept - 1;
                        Resync(ResyncReasons.CursorExpired, oldestSequence: firstKept);
                    }
                }

                var headBefore = buffer.Head;
                // A whole page when nobody else waits for a turn; a chunk's worth of rows when others do.
                var limit = session._gate.Waiting == 0
                    ? _options.ReplayPageSize
                    : Math.Clamp(_options.CatchUpChunkBytes / _estimatedRowBytes, 1, _options.ReplayPageSize);
                var page = await session._store.ReadAsync(
                    new EventQuery(_position, limit, scope, Since: _since), _aborted, fromHistoryPool: true);
                var written = 0L;
                foreach (var row in page)
                {
                    var frame = SseFrames.Event(new StreamPosition(_epoch, row.Sequence), row);
                    Write(frame);
                    written += frame.Length;
                }

                session._metrics.Delivered(page.Count);
                if (page.Count > 0)
                {
                    _estimatedRowBytes = (int)Math.Max(64, written / page.Count);
                }

                // A short page means nothing more matches up to when it was read, which covers the hub's head then.
                _position = page.Count == limit ? page[^1].Sequence : Math.Max(page.Count > 0 ? page[^1].Sequence : _position, headBefore);
                if (page.Count < limit)
                {
                    _since = null;
                }

                return true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !_aborted.IsCancellationRequested)
            {
                // The database, or a row that cannot be read: the stream ends cleanly, saying why, and the client resumes.
                session._logger.LogWarning(e, "Reading history for stream {ClientId} failed", stream.Context.TraceIdentifier);
                return false;
            }
        }

        /// <summary>
        /// A stream that is catching up must get closer to the head. Over each window of time spent flushing to the
        /// client (time waiting for a turn does not count: that is the server's doing), its lag must have shrunk.
        /// </summary>
        private bool IsClosingTheGap(TimeSpan flushTime, LiveBuffer buffer)
        {
            _windowFlushTime += flushTime;
            if (_windowFlushTime < _options.CatchUpProgressWindow)
            {
                return true;
            }

            var lag = buffer.Head - _position;
            var closing = lag < _windowLag;
            _windowLag = lag;
            _windowFlushTime = TimeSpan.Zero;
            return closing;
        }

        /// <summary>Ends the stream; when the end has a reason the client should know, says it first.</summary>
        private async Task<StreamEnd> EndAsync(StreamEnd end)
        {
            var farewell = end switch
            {
                StreamEnd.SlowConsumer => new { code = StreamErrorCodes.SlowConsumer, message = "This stream fell too far behind; reconnect with Last-Event-ID to resume." },
                StreamEnd.StoreUnavailable => new { code = StreamErrorCodes.StoreUnavailable, message = "Reading history failed; reconnect with Last-Event-ID to resume." },
                StreamEnd.TokenExpired => new { code = StreamErrorCodes.TokenExpired, message = "The token expired; reconnect with a fresh token and Last-Event-ID to resume." },
                StreamEnd.TokenRevoked => new { code = StreamErrorCodes.TokenRevoked, message = "The token was revoked." },
                _ => null,
            };

            if (farewell is not null)
            {
                Write(SseFrames.Named(StreamFrameNames.Error, JsonSerializer.Serialize(farewell)));
            }

            if (farewell is not null || _unflushed)
            {
                try
                {
                    await FlushAsync(FarewellTimeout);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                }
            }

            return end;
        }

        private void Write(ReadOnlySpan<byte> frame)
        {
            _output.Write(frame);
            _unflushed = true;
        }

        /// <summary>Flushes under a deadline that the <see cref="OpenStreams"/> sweep enforces. False when the client is gone.</summary>
        private async ValueTask<bool> FlushAsync(TimeSpan timeout)
        {
            stream.BeginWrite(timeout);
            try
            {
                var result = await _output.FlushAsync(_aborted);
                _unflushed = false;
                return !result.IsCompleted && !result.IsCanceled;
            }
            finally
            {
                stream.EndWrite();
            }
        }
    }

    private readonly EventHub _hub = hub;
    private readonly EventStore _store = store;
    private readonly CatchUpGate _gate = gate;
    private readonly StreamMetrics _metrics = metrics;
    private readonly Integrity.CheckpointService _checkpoints = checkpoints;
    private readonly Revocations _revocations = revocations;
    private readonly ILogger<StreamSession> _logger = logger;
    private readonly StreamOptions _options = options.Value;
}
