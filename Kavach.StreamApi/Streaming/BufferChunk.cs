using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// Writes what the live buffer holds after a stream's position, up to a chunk's bytes; events the stream's scope does
/// not allow are passed over. Live and catching-up streams read the buffer the same way.
/// </summary>
public static class BufferChunk
{
    /// <summary>Stops early when the next event was evicted meanwhile: the caller decides what that means.</summary>
    public static void Write(LiveBuffer buffer, StreamProgress progress, ReadScope scope, StreamOutput output, long maxBytes,
        StreamMetrics metrics, DateTimeOffset? liveAt)
    {
        var written = 0L;
        var count = 0;
        EventEnvelope? oldest = null;
        while (progress.Sequence < buffer.Head && written < maxBytes)
        {
            if (buffer.TryGet(progress.Sequence + 1) is not { } envelope)
            {
                break;
            }

            progress.Sequence = envelope.Sequence;
            if (!scope.Allows(envelope))
            {
                continue;
            }

            output.Write(envelope.Frame);
            written += envelope.Frame.Length;
            count++;
            oldest ??= envelope;
        }

        metrics.Delivered(count);
        if (liveAt is { } now && oldest is not null)
        {
            metrics.DeliveredLive(now - oldest.CommittedAt); // once per write, not per event
        }
    }
}
