using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// What an SSF stream keeps in its destination's <c>config</c> (jsonb) beyond the columns every destination has: the
/// issuer and audience its SETs name, how it is delivered, what the receiver requested, the header our pushes carry
/// (stored, never shown back), and the subjects it removed (written with <c>kavach_ssf_subjects</c>, in one transaction).
/// </summary>
public sealed record SsfStreamSettings(
    [property: JsonPropertyName("iss")] string Issuer,
    [property: JsonPropertyName("aud")] string Audience,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("events_requested")] IReadOnlyList<string>? EventsRequested,
    [property: JsonPropertyName("authorization_header")] string? AuthorizationHeader,
    [property: JsonPropertyName("excluded_subjects")] IReadOnlyList<JsonElement>? ExcludedSubjects = null)
{
    public const string PushMethod = "urn:ietf:rfc:8935";
    public const string PollMethod = "urn:ietf:rfc:8936";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public JsonElement ToConfig() => JsonSerializer.SerializeToElement(this, Json);

    public static SsfStreamSettings FromConfig(JsonElement config) =>
        config.Deserialize<SsfStreamSettings>(Json) ?? throw new InvalidOperationException("An SSF stream without its settings.");
}
