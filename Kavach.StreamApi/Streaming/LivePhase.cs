using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Options;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// A live stream: each write takes what the hub appended since the last, from the live buffer, and never waits at the
/// <see cref="CatchUpGate"/> (it tells the gate it is writing, so history yields to it in a storm). A stream whose next
/// event was evicted before it could be written has fallen behind (or lost it to retention: <see cref="CursorRules"/>).
/// </summary>
public sealed class LivePhase(StreamProgress progress, ReadScope scope, StreamOutput output, CatchUpGate gate,
    StreamMetrics metrics, StreamOptions options, TimeProvider time)
{
    public async Task<StreamStep> WriteAsync(LiveBuffer buffer)
    {
        if (CursorRules.WhenOutOfBuffer(progress, buffer) is { } outOfBuffer)
        {
            return outOfBuffer == StreamTrigger.Ending ? StreamStep.EndWith(StreamEnd.SlowConsumer) : StreamStep.Move(outOfBuffer);
        }

        using (gate.BeginLiveWrite())
        {
            BufferChunk.Write(buffer, progress, scope, output, options.CatchUpChunkBytes, metrics, time.GetUtcNow());
            return await output.FlushAsync(options.WriteTimeout) ? StreamStep.Stay : StreamStep.EndWith(StreamEnd.ClientGone);
        }
    }
}
