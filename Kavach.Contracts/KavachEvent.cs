using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kavach.Contracts;

/// <summary>
/// One committed event, as every endpoint and the stream return it: the common envelope of the twelve types.
/// On the stream the reader gets the typed record of its type (<see cref="AnomalyDetected"/>, …), or this record
/// itself for a type this version does not know; pages and replay give this record. <c>Sequence</c> is assigned at
/// commit: gap-free and strictly increasing in stream order within an epoch.
/// </summary>
public record KavachEvent(
    string Id,
    string Type,
    DateTimeOffset Timestamp,
    JsonElement Data,
    string? AgentId,
    string? UserId,
    long Sequence) : StreamItem
{
    /// <summary>
    /// Where the event stands in the stream (its SSE <c>id:</c>, which carries the epoch); null when it did not come
    /// from the stream (pages, replay). Save <c>Position.ToString()</c> to resume from it later.
    /// </summary>
    [JsonIgnore]
    public StreamPosition? Position { get; init; }

    /// <summary>One of the twelve types of <see cref="KavachEventTypes"/>.</summary>
    [JsonIgnore]
    public bool IsKnownType => KavachEventTypes.IsKnown(Type);

    /// <summary>
    /// The event's place in the tamper-evident hash chain (64 hex digits; docs/integrity.md); null for events stored
    /// before the chain began.
    /// </summary>
    public string? Hash { get; init; }
}
