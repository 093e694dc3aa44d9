using System.Buffers;
using System.IO.Pipelines;
using Kavach.Contracts;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// One stream's socket side: frames are written to the response and flushed under a deadline that the
/// <see cref="OpenStreams"/> sweep enforces. Knows whether anything is waiting to be flushed.
/// </summary>
public sealed class StreamOutput(OpenStream stream)
{
    private static readonly TimeSpan FarewellTimeout = TimeSpan.FromSeconds(2);

    private readonly PipeWriter _output = stream.Context.Response.BodyWriter;
    private readonly CancellationToken _aborted = stream.Context.RequestAborted;

    public bool Unflushed { get; private set; }

    public void Write(ReadOnlySpan<byte> frame)
    {
        _output.Write(frame);
        Unflushed = true;
    }

    public void WriteResync(Resync resync) => Write(SseFrames.Resync(resync));

    /// <summary>False when the client is gone.</summary>
    public async ValueTask<bool> FlushAsync(TimeSpan timeout)
    {
        stream.BeginWrite(timeout);
        try
        {
            var result = await _output.FlushAsync(_aborted);
            Unflushed = false;
            return !result.IsCompleted && !result.IsCanceled;
        }
        finally
        {
            stream.EndWrite();
        }
    }

    /// <summary>Flushes what is pending, if anything. False when the client is gone.</summary>
    public ValueTask<bool> FlushPendingAsync(TimeSpan timeout) => Unflushed ? FlushAsync(timeout) : ValueTask.FromResult(true);

    /// <summary>The last words: the reason the client should know, when there is one, then whatever was pending.</summary>
    public async Task SayFarewellAsync(StreamEnd end)
    {
        var farewell = end switch
        {
            StreamEnd.SlowConsumer => SseFrames.Farewell(StreamErrorCodes.SlowConsumer, "This stream fell too far behind; reconnect with Last-Event-ID to resume."),
            StreamEnd.StoreUnavailable => SseFrames.Farewell(StreamErrorCodes.StoreUnavailable, "Reading history failed; reconnect with Last-Event-ID to resume."),
            StreamEnd.TokenExpired => SseFrames.Farewell(StreamErrorCodes.TokenExpired, "The token expired; reconnect with a fresh token and Last-Event-ID to resume."),
            StreamEnd.TokenRevoked => SseFrames.Farewell(StreamErrorCodes.TokenRevoked, "The token was revoked."),
            _ => null,
        };

        if (farewell is not null)
        {
            Write(farewell);
        }

        if (Unflushed)
        {
            try
            {
                await FlushAsync(FarewellTimeout);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        }
    }
}
