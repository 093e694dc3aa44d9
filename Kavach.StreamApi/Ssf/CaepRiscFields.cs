using System.Text.Json;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// The CAEP and RISC members of a SET's event object, from our event: <c>event_timestamp</c> always; <c>reason_admin</c>
/// (never empty, as the CAEP interoperability profile requires for session-revoked and credential-change) from
/// <c>data.reason</c> or a sentence naming the event; and each type's required members — credential-change's
/// <c>credential_type</c> (<c>data.credentialType</c>, else <c>app</c>: the agent's own credential) and
/// <c>change_type</c> <c>update</c> (a rotation); risk-level-change's <c>principal</c>, <c>current_level</c>
/// (<c>data.riskLevel</c>, else from <c>data.score</c>, else HIGH: the detector flagged it) and <c>risk_reason</c>.
/// </summary>
public static class CaepRiscFields
{
    private const int MaxReasonLength = 500;

    private static readonly string[] InitiatingEntities = ["admin", "user", "policy", "system"];
    private static readonly string[] RiskLevels = ["LOW", "MEDIUM", "HIGH"];

    public static void Write(Utf8JsonWriter writer, SsfEventMapping mapping, StoredEvent stored)
    {
        writer.WriteNumber("event_timestamp", stored.Timestamp.ToUnixTimeSeconds());
        if (mapping.Shape == SsfEventShape.Own)
        {
            return;
        }

        using var body = JsonDocument.Parse(stored.Body, new JsonDocumentOptions { MaxDepth = StreamEvent.MaxStoredDepth });
        var data = body.RootElement.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var reason = Text(data, "reason");

        if (Text(data, "initiatingEntity") is { } entity && InitiatingEntities.Contains(entity))
        {
            writer.WriteString("initiating_entity", entity);
        }

        writer.WriteStartObject("reason_admin");
        writer.WriteString("en", reason ?? DefaultReason(stored));
        writer.WriteEndObject();

        switch (mapping.Shape)
        {
            case SsfEventShape.CredentialChange:
                writer.WriteString("credential_type", Text(data, "credentialType") ?? "app");
                writer.WriteString("change_type", "update");
                if (stored.AgentId is { } agent)
                {
                    writer.WriteString("friendly_name", agent);
                }

                break;
            case SsfEventShape.RiskLevelChange:
                writer.WriteString("principal", stored.AgentId is not null ? "AGENT" : "USER");
                writer.WriteString("current_level", RiskLevel(data));
                if (Text(data, "previousRiskLevel")?.ToUpperInvariant() is { } previous && RiskLevels.Contains(previous))
                {
                    writer.WriteString("previous_level", previous);
                }

                writer.WriteString("risk_reason", reason ?? stored.Type);
                break;
        }
    }

    /// <summary>LOW, MEDIUM or HIGH: <c>data.riskLevel</c> when it is one; else a <c>data.score</c> in [0, 1] (≥ 0.7 HIGH, ≥ 0.4 MEDIUM); else HIGH.</summary>
    public static string RiskLevel(JsonElement data)
    {
        if (Text(data, "riskLevel")?.ToUpperInvariant() is { } level && RiskLevels.Contains(level))
        {
            return level;
        }

        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.Number
            && score.TryGetDouble(out var value) && value is >= 0 and <= 1)
        {
            return value >= 0.7 ? "HIGH" : value >= 0.4 ? "MEDIUM" : "LOW";
        }

        return "HIGH";
    }

    private static string DefaultReason(StoredEvent stored)
    {
        var parties = (stored.AgentId, stored.UserId) switch
        {
            ({ } agent, { } user) => $" for agent '{agent}' and user '{user}'",
            ({ } agent, null) => $" for agent '{agent}'",
            (null, { } user) => $" for user '{user}'",
            _ => "",
        };
        return $"Kavach {stored.Type}{parties} (event {stored.Id}).";
    }

    private static string? Text(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text
            ? text.Length > MaxReasonLength ? text[..MaxReasonLength] : text
            : null;
}
