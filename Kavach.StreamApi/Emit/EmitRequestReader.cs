using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Kavach.StreamApi.Emit;

/// <summary>
/// Reads an emit body (one event object or an array of them) into drafts, naming each field that has the wrong
/// JSON kind or is not part of the contract: a misspelt field is an error, never silently dropped data.
/// </summary>
public static class EmitRequestReader
{
    /// <summary>
    /// Parses a raw body: valid UTF-8 throughout (JSON is UTF-8, and System.Text.Json checks a string's bytes only
    /// when it is read) and valid JSON. The caller disposes the document. Duplicate names are found field by field
    /// (JsonDocument's own check throws on a name holding an unpaired surrogate escape).
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, out JsonDocument? document, out string? error)
    {
        document = null;
        if (!Utf8.IsValid(body.Span))
        {
            error = $"The body is not valid UTF-8: the byte at offset {FirstInvalidUtf8(body.Span)} does not start a " +
                "well-formed UTF-8 sequence. Send JSON encoded as UTF-8.";
            return false;
        }

        try
        {
            document = JsonDocument.Parse(body);
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = $"The body is not valid JSON: {e.Message}";
            return false;
        }
    }

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
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in item.EnumerateObject())
        {
            var rawName = JsonMarshal.GetRawUtf8PropertyName(property);
            if (EventValidator.CheckEscapes(rawName, rawName.Contains((byte)'\\')) is { } nameError)
            {
                // The name itself cannot be shown: it is not a valid string.
                errors[prefix + "(property name)"] = ["A property name " + nameError];
                continue;
            }

            var field = prefix + property.Name;
            if (!seen.Add(property.Name))
            {
                errors[field] = ["Appears more than once in this event: send each field once."];
                continue;
            }

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
                    timestamp = ReadTimestamp(property.Value, field, errors);
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
                if (EventValidator.TryGetString(value, out var text, out var error))
                {
                    return text;
                }

                errors[field] = [error!];
                return null;
            case JsonValueKind.Null:
                return null;
            default:
                errors[field] = ["Must be a string."];
                return null;
        }
    }

    private static DateTimeOffset? ReadTimestamp(JsonElement value, string field, IDictionary<string, string[]> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // TryGetDateTimeOffset also refuses a time whose UTC value falls outside years 0001-9999.
        if (value.ValueKind == JsonValueKind.String && EventValidator.TryGetString(value, out _, out _)
            && value.TryGetDateTimeOffset(out var parsed))
        {
            return parsed;
        }

        errors[field] = ["Must be an ISO-8601 date and time, e.g. 2026-01-15T10:00:00Z, whose UTC value lies between " +
            "0001-01-01T00:00:00Z and 9999-12-31T23:59:59.9999999Z."];
        return null;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }
}
