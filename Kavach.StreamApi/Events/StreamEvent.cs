using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kavach.StreamApi.Events;

/// <summary>
/// A committed event as every reader sees it: SSE data, JSON pages and replay all use this shape.
/// <see cref="Sequence"/> is assigned at commit and strictly increases in stream order.
/// </summary>
public sealed record StreamEvent(
    string Id,
    string Type,
    DateTimeOffset Timestamp,
    JsonElement Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AgentId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    long Sequence)
{
    /// <summary>How deep stored data may nest and still be read and written back (emit accepts far less).</summary>
    public const int MaxStoredDepth = 256;
}

/// <summary>
/// An event accepted for emit, validated, not yet committed: the columns readers filter on and its JSON body (see
/// <see cref="StoredEvent"/>), which is all that is stored of it.
/// </summary>
public sealed record ValidatedEvent(
    string Id,
    string Type,
    DateTimeOffset Timestamp,
    string? AgentId,
    string? UserId,
    string Body);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, MaxDepth = Kavach.StreamApi.Events.StreamEvent.MaxStoredDepth)]
[JsonSerializable(typeof(StreamEvent))]
[JsonSerializable(typeof(EventBody))]
[JsonSerializable(typeof(List<StreamEvent>))]
internal sealed partial class StreamJsonContext : JsonSerializerContext;
