using System.Text.Json;

namespace Kavach.StreamApi.Emit;

/// <summary>
/// Reads an emit body (one event object or an array of them) into drafts, naming each field that has the wrong
/// JSON kind or is not part of the contract: a misspelt field is an error, never silently dropped data.
/// </summary>
public static class EmitRequestReader
{
    public static (List<EventDraft> Drafts, bool IsBatch) Read(JsonElement root, IDictionary<string, string[]> errors)
    {
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                return ([ReadOne(root, "", errors)], false);
            case JsonValueKind.Array:
                return ([.. root.EnumerateArray().Select((item, i) => ReadOne(item, $"[{i}].", errors))], true);
            default:
                errors[""] = ["The body must be an event object or an array of event objects."];
                return ([], false);
        }
    }

    private static EventDraft ReadOne(JsonElement item, string prefix, IDictionary<string, string[]> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors[prefix.TrimEnd('.')] = ["Each event must be a JSON object."];
            return new EventDraft(null);
        }

        string? type = null, id = null, agentId = null, userId = null;
        JsonElement? data = null;
        DateTimeOffset? timestamp = null;
        foreach (var property in item.EnumerateObject())
        {
            var field = prefix + property.Name;
            switch (property.Name)
            {
                case "type":
                    type = ReadString(property.Value, field, errors);
                    break;
                case "id":
                    id = ReadString(property.Value, field, errors);
                    break;
                case "agentId":
                    agentId = ReadString(property.Value, field, errors);
                    break;
                case "userId":
                    userId = ReadString(property.Value, field, errors);
                    break;
                case "data":
                    data = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
                    break;
                case "timestamp":
                    if (property.Value.ValueKind == JsonValueKind.String
                        && property.Value.TryGetDateTimeOffset(out var parsed))
                    {
                        timestamp = parsed;
                    }
                    else if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        errors[field] = ["Must be an ISO-8601 date and time, e.g. 2026-01-15T10:00:00Z."];
                    }

                    break;
                default:
                    errors[field] = ["Unknown field. Fields: type, data, id, timestamp, agentId, userId."];
                    break;
            }
        }

        return new EventDraft(type, data, id, timestamp, agentId, userId);
    }

    private static string? ReadString(JsonElement value, string field, IDictionary<string, string[]> errors)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Null:
                return null;
            default:
                errors[field] = ["Must be a string."];
                return null;
        }
    }
}
