using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// One open stream, after auth and admission: replay what the client missed, then live events, with no gap and
/// no duplicate at the switch. The subscription is registered before history is read, so live events queue up
/// while the history is written; events up to the hub position come from PostgreSQL, later ones from the queue.
/// </summary>
public sealed class StreamSession(
    EventHub hub,
    EventStore store,
    StreamMetrics metrics,
    IOptions<StreamOptions> options,
    ILogger<StreamSession> logger)
{
    private const int FlushEvery = 64;

    private readonly StreamOptions _options = options.Value;

    public async Task RunAsync(HttpContext context, string subscriberId, EventTypeFilter filter, StreamCursor cursor)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        var output = response.BodyWriter;

        Write(output, SseFrames.Retry(_options.ReconnectDelay));
        Write(output, SseFrames.Named("connected", JsonSerializer.Serialize(new
        {
            clientId = context.TraceIdentifier,
            subscriberId,
            timestamp = DateTimeOffset.UtcNow,
        })));
        await output.FlushAsync(cancellationToken);

        var position = cursor.AfterSequence;
        var since = cursor.Since;
        var replaying = cursor.Replays;

        if (cursor.AfterSequence is { } after)
        {
            position = await CheckCursorAsync(output, after, cancellationToken);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            if (hub.Subscribe(filter) is not { } registration)
            {
                return; // closing
            }

            var (subscription, hubPosition) = registration;

            try
            {
                if (replaying)
                {
                    subscription.Replaying = true;
                    await ReplayAsync(output, filter, position ?? 0, hubPosition, since, cancellationToken);
                    since = null;
                }

                position = Math.Max(position ?? 0, hubPosition);
                position = await StreamLiveAsync(output, subscription, position.Value, cancellationToken);
            }
            finally
            {
                hub.Unsubscribe(subscription);
            }

            switch (subscription.End)
            {
                case SubscriptionEnd.OverflowWhileReplaying:
                    // Still catching up on history: carry on from the database rather than punish the client.
                    replaying = true;
                    continue;
                case SubscriptionEnd.Overflow:
                    logger.LogInformation("Disconnected slow stream {ClientId} at sequence {Sequence}", context.TraceIdentifier, position);
                    return;
                default:
                    return;
            }
        }
    }

    /// <summary>Sends <c>resync</c> when the cursor cannot be honoured exactly, and says where replay starts.</summary>
    private async Task<long> CheckCursorAsync(PipeWriter output, long after, CancellationToken cancellationToken)
    {
        var (oldest, last) = await store.GetBoundsAsync(cancellationToken);
        var firstKept = oldest ?? last + 1;
        string? reason = after > last ? "cursor-ahead-of-stream"
            : after + 1 < firstKept ? "cursor-expired"
            : null;

        if (reason is null)
        {
            return after;
        }

        Write(output, SseFrames.Named("resync", JsonSerializer.Serialize(new { reason, oldestSequence = firstKept })));
        await output.FlushAsync(cancellationToken);
        return firstKept - 1;
    }

    private async Task ReplayAsync(PipeWriter output, EventTypeFilter filter, long after, long upTo,
        DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var position = after;
        while (position < upTo)
        {
            var page = await store.ReadAsync(
                new EventQuery(position, _options.ReplayPageSize, filter.Types, UpTo: upTo, Since: since), cancellationToken);
            foreach (var row in page)
            {
                Write(output, EventEnvelope.From(row.Event, row.CommittedAt).Frame.Span);
            }

            metrics.Delivered(page.Count);
            await output.FlushAsync(cancellationToken);
            if (page.Count < _options.ReplayPageSize)
            {
                break;
            }

            position = page[^1].Event.Sequence;
        }

        metrics.Replayed(System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    private async Task<long> StreamLiveAsync(PipeWriter output, Subscription subscription, long position, CancellationToken cancellationToken)
    {
        var reader = subscription.Reader;
        var unflushed = 0;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var envelope))
                {
                    if (envelope.IsHeartbeat)
                    {
                        metrics.Heartbeat();
                    }
                    else if (envelope.Sequence <= position)
                    {
                        continue; // already written by replay
                    }
                    else
                    {
                        position = envelope.Sequence;
                        metrics.Delivered(1);
                        metrics.DeliveredLive(DateTimeOffset.UtcNow - envelope.CommittedAt);
                    }

                    Write(output, envelope.Frame.Span);
                    if (++unflushed >= FlushEvery)
                    {
                        await output.FlushAsync(cancellationToken);
                        unflushed = 0;
                    }
                }

                await output.FlushAsync(cancellationToken);
                unflushed = 0;

                // The backlog queued during replay is written: from now on a full queue means a slow client.
                subscription.Replaying = false;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return position;
    }

    private static void Write(PipeWriter output, ReadOnlySpan<byte> frame) => output.Write(frame);
}
