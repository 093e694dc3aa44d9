using Kavach.Contracts;
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
/// duplicate, in sequence order. It moves through its <see cref="StreamPhase"/>s — placing (<see cref="CursorRules"/>),
/// catching up (<see cref="CatchUpPhase"/>), live (<see cref="LivePhase"/>), ended — only by
/// <see cref="StreamPhases.Next"/>. Before every write, whatever the phase, it ends when asked to, follows a new epoch,
/// writes a due heartbeat or checkpoint, and asks <see cref="TokenStanding"/> whether its token is still good. It is cut
/// off — once, counted once, told why when it can still be told — and the client resumes by Last-Event-ID.
/// </summary>
public sealed class StreamSession(
    ILiveEvents live,
    IStreamHistory history,
    CursorRules cursors,
    OpenStreams openStreams,
    CatchUpGate gate,
    TokenStanding standing,
    StreamMetrics metrics,
    IOptions<StreamOptions> options,
    TimeProvider time,
    ILogger<StreamSession> logger)
{
    private readonly StreamOptions _options = options.Value;

    /// <summary>Streams until the stream ends; says why it ended.</summary>
    public async Task<StreamEnd> RunAsync(HttpContext context, Subscriber subscriber, ReadScope scope, StreamCursor cursor, bool withCheckpoints = false)
    {
        var stream = new OpenStream(context, subscriber, time) { WantsCheckpoints = withCheckpoints };
        var progress = new StreamProgress(live.Buffer.Epoch);
        var end = StreamEnd.ClientGone;
        using (context.RequestAborted.UnsafeRegister(static s => ((WakeSignal)s!).Set(), stream.Signal))
        {
            openStreams.Add(stream);
            live.Listen(stream.Signal);
            try
            {
                end = await RunPhasesAsync(stream, scope, cursor, progress);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                end = stream.Aborted ? StreamEnd.WriteTimeout : StreamEnd.ClientGone;
            }
            finally
            {
                live.Unlisten(stream.Signal);
                openStreams.Remove(stream);
            }
        }

        metrics.StreamEnded(end.Tag());
        if (end is StreamEnd.SlowConsumer or StreamEnd.StoreUnavailable or StreamEnd.WriteTimeout)
        {
            logger.LogInformation("Ended stream {ClientId} of {Subscriber} at {Position}: {Reason}",
                context.TraceIdentifier, subscriber.Id, progress.Position, end);
        }

        return end;
    }

    private async Task<StreamEnd> RunPhasesAsync(OpenStream stream, ReadScope scope, StreamCursor cursor, StreamProgress progress)
    {
        var aborted = stream.Context.RequestAborted;
        var output = new StreamOutput(stream);
        var catchUp = new CatchUpPhase(progress, scope, output, cursors, history, gate, metrics, _options, time, logger,
            stream.Context.TraceIdentifier, aborted);
        var livePhase = new LivePhase(progress, scope, output, gate, metrics, _options, time);
        var started = time.GetTimestamp();

        var phase = StreamPhase.Placing;
        var step = await PlaceAsync(stream, output, cursor, progress);
        while (true)
        {
            if (step.Trigger is { } trigger)
            {
                phase = StreamPhases.Next(phase, trigger);
                if (phase == StreamPhase.Ended)
                {
                    if (step.End is not (StreamEnd.ClientGone or StreamEnd.WriteTimeout))
                    {
                        await output.SayFarewellAsync(step.End);
                    }

                    return step.End;
                }

                if (trigger is StreamTrigger.PlacedBehind or StreamTrigger.EpochChanged or StreamTrigger.HistoryPruned)
                {
                    catchUp.Begin(live.Buffer);
                }
                else if (trigger == StreamTrigger.CaughtUp)
                {
                    metrics.Replayed(time.GetElapsedTime(started));
                }
            }

            step = await StepAsync(phase, stream, output, progress, catchUp, livePhase);
        }
    }

    /// <summary>The opening frames, then the cursor's place (a database failure here ends the stream, saying why).</summary>
    private async Task<StreamStep> PlaceAsync(OpenStream stream, StreamOutput output, StreamCursor cursor, StreamProgress progress)
    {
        output.Write(SseFrames.Retry(_options.ReconnectDelay));
        output.Write(SseFrames.Connected(stream.Context.TraceIdentifier, stream.Subscriber.Id, progress.Epoch, time.GetUtcNow()));

        Placement placement;
        try
        {
            placement = await cursors.PlaceAsync(cursor, progress, stream.Context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stream.Context.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning(e, "Placing stream {ClientId} at its cursor failed", stream.Context.TraceIdentifier);
            return StreamStep.EndWith(StreamEnd.StoreUnavailable);
        }

        if (placement.Resync is { } resync)
        {
            WriteResync(output, resync);
        }

        return await output.FlushAsync(_options.WriteTimeout) ? StreamStep.Move(placement.Trigger) : StreamStep.EndWith(StreamEnd.ClientGone);
    }

    /// <summary>One step of a catching-up or live stream: what every phase checks first, then the phase's own work.</summary>
    private async Task<StreamStep> StepAsync(StreamPhase phase, OpenStream stream, StreamOutput output, StreamProgress progress,
        CatchUpPhase catchUp, LivePhase livePhase)
    {
        if (stream.EndRequested is { } requested)
        {
            return StreamStep.EndWith(requested);
        }

        if (stream.Context.RequestAborted.IsCancellationRequested)
        {
            return StreamStep.EndWith(stream.Aborted ? StreamEnd.WriteTimeout : StreamEnd.ClientGone);
        }

        var buffer = live.Buffer;
        if (buffer.Epoch != progress.Epoch)
        {
            WriteResync(output, cursors.FollowEpoch(progress, buffer));
            return StreamStep.Move(StreamTrigger.EpochChanged);
        }

        if (stream.TakeHeartbeat())
        {
            output.Write(SseFrames.Heartbeat.Span);
            metrics.Heartbeat();
        }

        if (stream.WantsCheckpoints && openStreams.LatestCheckpoint is { } checkpoint && checkpoint.Epoch == progress.Epoch
            && checkpoint.Sequence <= progress.Sequence && checkpoint.Sequence > progress.CheckpointSent)
        {
            // Announced once the stream has sent everything it covers, so a reader can check its chain there.
            output.Write(checkpoint.Frame);
            progress.CheckpointSent = checkpoint.Sequence;
        }

        switch (standing.WhileOpen(stream.Subscriber))
        {
            case Standing.Revoked:
                return StreamStep.EndWith(StreamEnd.TokenRevoked);
            case Standing.Expired:
                return StreamStep.EndWith(StreamEnd.TokenExpired);
            case Standing.Unknown:
                // Whether the token was revoked cannot be told now: nothing more is sent until it can (heartbeats go on).
                return await WaitAsync(stream, output);
        }

        if (progress.Sequence >= buffer.Head)
        {
            progress.Since = null;
            return phase == StreamPhase.CatchingUp ? StreamStep.Move(StreamTrigger.CaughtUp) : await WaitAsync(stream, output);
        }

        return phase == StreamPhase.Live ? await livePhase.WriteAsync(buffer) : await catchUp.TurnAsync(buffer);
    }

    /// <summary>Sends what is pending, then sleeps until the stream's signal: new events, a heartbeat, or an end.</summary>
    private async Task<StreamStep> WaitAsync(OpenStream stream, StreamOutput output)
    {
        if (!await output.FlushPendingAsync(_options.WriteTimeout))
        {
            return StreamStep.EndWith(StreamEnd.ClientGone);
        }

        await stream.Signal.WaitAsync();
        return StreamStep.Stay;
    }

    /// <summary>
    /// Every resync names the stream's epoch, whatever its reason: a reader whose position is from another epoch (a
    /// database that was reset or restored cold, epoch 1 again) learns where the stream now is.
    /// </summary>
    private void WriteResync(StreamOutput output, Resync resync)
    {
        output.WriteResync(resync);
        metrics.Resynced(resync.Reason!);
    }
}
