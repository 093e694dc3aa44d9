using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.StreamApi.Events;

/// <summary>
/// The one place that formats Server-Sent Events frames. The stream's signals are written from their Kavach.Contracts
/// types, the ones clients read them into.
/// </summary>
public static class SseFrames
{
    /// <summary>SseFormatter cannot write comment lines, so the heartbeat is the one frame written by hand.</summary>
    public static readonly ReadOnlyMemory<byte> Heartbeat = ": heartbeat\n\n"u8.ToArray();

    public static byte[] Event(StreamPosition position, string type, string json) =>
        Format(new SseItem<string>(json, type) { EventId = position.ToString() });

    /// <summary>
    /// A stored event's frame, written straight from its body (compact JSON: one data line) with no serializer:
    /// <c>event: type</c>, <c>data: {...,"sequence":N}</c>, <c>id: position</c> and a blank line, the same bytes as
    /// <see cref="Event(StreamPosition, string, string)"/>.
    /// </summary>
    public static byte[] Event(StreamPosition position, StoredEvent stored)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(stored.Body.Length + stored.Type.Length + 64);
        buffer.Write("event: "u8);
        buffer.Write(Encoding.UTF8.GetBytes(stored.Type));
        buffer.Write("\ndata: "u8);
        stored.WriteJson(buffer);
        buffer.Write("\nid: "u8);
        buffer.Write(Encoding.UTF8.GetBytes(position.ToString()));
        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Named(string type, string json) => Format(new SseItem<string>(json, type));

    /// <summary><c>connected</c>, the first frame of every stream.</summary>
    public static byte[] Connected(string clientId, string? subscriberId, long epoch, DateTimeOffset timestamp) =>
        Named(StreamFrameNames.Connected, JsonSerializer.Serialize(new Connected(clientId, subscriberId, epoch, timestamp), JsonSerializerOptions.Web));

    /// <summary>The <c>error</c> frame a stream ends with, when the client should know why (<paramref name="code"/>: <see cref="StreamErrorCodes"/>).</summary>
    public static byte[] Farewell(string code, string message) => Error(new StreamError(code, message));

    /// <summary>An <c>error</c> frame: a farewell, or the one frame of a refused stream (with <see cref="StreamError.Detail"/> when there is one).</summary>
    public static byte[] Error(StreamError error) => Named(StreamFrameNames.Error, JsonSerializer.Serialize(error, KavachJson.Options));

    /// <summary><c>resync</c>: every field but the reason and the epoch only when it applies.</summary>
    public static byte[] Resync(Resync resync) => Named(StreamFrameNames.Resync, JsonSerializer.Serialize(resync, KavachJson.Options));

    /// <summary><c>checkpoint</c>, with every field (the version 2 ones null on a version 1 checkpoint).</summary>
    public static byte[] Checkpoint(Checkpoint checkpoint) =>
        Named(StreamFrameNames.Checkpoint, JsonSerializer.Serialize(checkpoint, JsonSerializerOptions.Web));

    public static byte[] Retry(TimeSpan interval)
    {
        // A retry field on its own, with no data, is a valid frame that only sets the client's reconnection time.
        var milliseconds = (long)interval.TotalMilliseconds;
        return Encoding.UTF8.GetBytes($"retry: {milliseconds}\n\n");
    }

    private static byte[] Format(SseItem<string> item)
    {
        // A MemoryStream completes writes synchronously, so this never blocks.
        using var buffer = new MemoryStream(item.Data.Length + 64);
        SseFormatter.WriteAsync(One(item), buffer, CancellationToken.None).GetAwaiter().GetResult();
        return buffer.ToArray();
    }

#pragma warning disable CS1998 // A one-item async sequence for the formatter's API.
    private static async IAsyncEnumerable<SseItem<string>> One(SseItem<string> item)
    {
        yield return item;
    }
#pragma warning restore CS1998
}
