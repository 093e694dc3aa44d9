using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kavach.StreamApi.Events;

/// <summary>
/// A committed event as stored and served: the fields readers filter on, and its JSON body — every field but the
/// sequence, written once at emit — which every read path serves as it is, with the sequence and the chain hash
/// appended. No read path parses an event to write it again.
/// </summary>
public sealed record StoredEvent(
    long Sequence,
    string Id,
    string Type,
    string? AgentId,
    string? UserId,
    DateTimeOffset Timestamp,
    DateTimeOffset CommittedAt,
    string Body,
    byte[]? Hash = null)
{
    /// <summary>
    /// The event's JSON as readers see it: <c>{...body...,"sequence":N,"hash":"…"}</c> (no hash for events stored
    /// before the chain began). Without its hash field it is exactly what the hash covers. Returns the bytes written.
    /// </summary>
    public int WriteJson(IBufferWriter<byte> output)
    {
        var body = Body.AsSpan(0, Body.Length - 1); // without the closing brace
        var length = Encoding.UTF8.GetByteCount(body);
        var span = output.GetSpan(length + 32 + HashField);
        var written = Encoding.UTF8.GetBytes(body, span);
        written += Encoding.UTF8.GetBytes(",\"sequence\":", span[written..]);
        Sequence.TryFormat(span[written..], out var digits, provider: CultureInfo.InvariantCulture);
        written += digits;
        if (Hash is { } hash)
        {
            written += Encoding.UTF8.GetBytes(",\"hash\":\"", span[written..]);
            Convert.TryToHexStringLower(hash, span[written..], out var hex);
            written += hex;
            span[written++] = (byte)'"';
        }

        span[written++] = (byte)'}';
        output.Advance(written);
        return written;
    }

    private const int HashField = 10 + 64 + 1;

    public string Json()
    {
        var buffer = new ArrayBufferWriter<byte>(Body.Length + 32);
        WriteJson(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The event as the in-process module API returns it.</summary>
    public StreamEvent ToStreamEvent()
    {
        using var body = JsonDocument.Parse(Body, new JsonDocumentOptions { MaxDepth = StreamEvent.MaxStoredDepth });
        var root = body.RootElement;
        return new StreamEvent(Id, Type, Timestamp, root.GetProperty("data").Clone(), AgentId, UserId, Sequence);
    }

    /// <summary>The body of an event: compact JSON (no line breaks, so it is one SSE data line), fields in a fixed order.</summary>
    public static string BodyOf(string id, string type, DateTimeOffset timestamp, JsonElement data, string? agentId, string? userId) =>
        JsonSerializer.Serialize(new EventBody(id, type, timestamp, data, agentId, userId), StreamJsonContext.Default.EventBody);
}

/// <summary>The serialized shape of a body; readers see it with <c>sequence</c> last.</summary>
public sealed record EventBody(
    string Id,
    string Type,
    DateTimeOffset Timestamp,
    JsonElement Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AgentId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId);
