using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kavach.Dashboard.Services.Events;

/// <summary>Turns an event's free-form <c>data</c> into one readable line.</summary>
public static class EventSummary
{
    private const int MaxLength = 160;

    public static string Describe(KavachEvent e)
    {
        var data = e.Data;
        var text = e.Type switch
        {
            EventTypes.AgentCreated => Join("created", Str(data, "name"), Prefixed("by ", Str(data, "createdBy")), Str(data, "reason")),
            EventTypes.AgentRotated => Join("credentials rotated", Str(data, "reason"), Prefixed("key ", Str(data, "keyId"))),
            EventTypes.AgentRevoked => Join("revoked", Str(data, "reason"),
                Prefixed("by ", Str(data, "revokedBy") ?? Str(data, "onBehalfOf") ?? Str(data, "by"))),
            EventTypes.AuthSignIn => Join("signed in", Prefixed("via ", Str(data, "method")), Prefixed("from ", Str(data, "ip"))),
            EventTypes.AuthSignOut => Join("signed out", Str(data, "reason")),
            EventTypes.AuthFailed => Join("sign-in failed", Str(data, "reason"), Prefixed("from ", Str(data, "ip"))),
            EventTypes.DelegationCreated => Join(
                $"delegated to {Str(data, "delegateId") ?? Str(data, "to") ?? "?"}", Scopes(data), Prefixed("until ", Str(data, "expiresAt"))),
            EventTypes.DelegationRevoked => Join(
                $"delegation to {Str(data, "delegateId") ?? Str(data, "to") ?? "?"} revoked", Str(data, "reason")),
            EventTypes.CostRecorded => Join(Money(data, "amount"), Str(data, "model"), Prefixed("", Str(data, "tokens"), " tokens")),
            EventTypes.BudgetExceeded => Join(
                $"budget exceeded: {Money(data, "spent") ?? "?"} of {Money(data, "budget") ?? "?"}", Str(data, "period")),
            EventTypes.AnomalyDetected => Join(
                Str(data, "kind") ?? "anomaly", Prefixed("score ", Str(data, "score")), Str(data, "description")),
            EventTypes.Audit => Join(Str(data, "action"), Str(data, "resource") ?? Str(data, "target"), Str(data, "outcome"), Str(data, "reason"),
                Prefixed("by ", Str(data, "onBehalfOf") ?? (Str(data, "target") is null ? null : Str(data, "by")))),
            _ => null,
        };

        return Truncate(string.IsNullOrWhiteSpace(text) ? Generic(data) : text);
    }

    /// <summary>Fallback for unknown shapes: the first scalar properties as <c>key=value</c>.</summary>
    public static string Generic(JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            return data.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? "" : data.GetRawText();
        }

        var parts = new List<string>();
        foreach (var property in data.EnumerateObject())
        {
            var value = Scalar(property.Value);
            if (value is not null)
            {
                parts.Add($"{property.Name}={value}");
            }

            if (parts.Count == 4)
            {
                break;
            }
        }

        return string.Join(", ", parts);
    }

    private static string? Join(params string?[] parts)
    {
        var present = parts.Where(p => !string.IsNullOrWhiteSpace(p)).ToArray();
        return present.Length == 0 ? null : string.Join(" · ", present);
    }

    private static string? Prefixed(string prefix, string? value, string suffix = "") =>
        value is null ? null : prefix + value + suffix;

    private static string? Str(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) ? Scalar(value) : null;

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static string? Scopes(JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("scopes", out var scopes))
        {
            return null;
        }

        return scopes.ValueKind == JsonValueKind.Array
            ? string.Join(' ', scopes.EnumerateArray().Select(Scalar).Where(s => s is not null))
            : Scalar(scopes);
    }

    private static string? Money(JsonElement data, string name)
    {
        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number)
        {
            return Str(data, name);
        }

        var currency = Str(data, "currency") ?? "USD";
        return string.Create(CultureInfo.InvariantCulture, $"{value.GetDecimal():0.00} {currency}");
    }

    private static string Truncate(string text)
    {
        if (text.Length <= MaxLength)
        {
            return text;
        }

        var builder = new StringBuilder(text, 0, MaxLength - 1, MaxLength);
        return builder.Append('…').ToString();
    }
}
