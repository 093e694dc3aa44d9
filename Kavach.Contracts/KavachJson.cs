using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kavach.Contracts;

/// <summary>How the API writes JSON: camelCase, ISO-8601 timestamps, absent rather than null optional fields.</summary>
public static class KavachJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
