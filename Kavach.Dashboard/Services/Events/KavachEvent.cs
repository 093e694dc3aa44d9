using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kavach.Dashboard.Services.Events;

/// <summary>One security event as the stream API sends it (camelCase JSON, ISO-8601 timestamps).</summary>
public sealed record KavachEvent(
    string Id,
    string Type,
    DateTimeOffset Timestamp,
    JsonElement Data,
    string? AgentId,
    string? UserId,
    long Sequence)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [JsonIgnore]
    public bool IsAlert => EventTypes.IsAlert(Type);

    public string ToJson(bool indented = false) =>
        JsonSerializer.Serialize(this, indented ? IndentedJsonOptions : JsonOptions);

    private static readonly JsonSerializerOptions IndentedJsonOptions = new(JsonOptions) { WriteIndented = true };
}
