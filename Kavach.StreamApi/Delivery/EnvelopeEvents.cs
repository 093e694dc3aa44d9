using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// A live-buffer event as a <see cref="StoredEvent"/>, for the channels: the buffer keeps only the event's SSE frame,
/// whose data line is exactly <see cref="StoredEvent.WriteJson"/>'s output, so the body and hash are taken back from
/// it (checked against the envelope's own fields) instead of reading PostgreSQL again. Each envelope is converted
/// once however many destinations send it.
/// </summary>
public static class EnvelopeEvents
{
    private static readonly ConditionalWeakTable<EventEnvelope, StoredEvent> Converted = [];

    /// <summary>The event, or null when the frame is not the shape <see cref="SseFrames.Event(StreamPosition, StoredEvent)"/> writes.</summary>
    public static StoredEvent? ToStored(EventEnvelope envelope) =>
        Converted.TryGetValue(envelope, out var stored) ? stored : Convert(envelope) is { } fresh ? Converted.GetValue(envelope, _ => fresh) : null;

    private static StoredEvent? Convert(EventEnvelope envelope)
    {
        var frame = envelope.Frame.AsSpan();
        var start = frame.IndexOf("\ndata: "u8);
        if (start < 0)
        {
            return null;
        }

        var data = frame[(start + 7)..];
        var end = data.IndexOf((byte)'\n');
        if (end < 0)
        {
            return null;
        }

        var json = Encoding.UTF8.GetString(data[..end]);
        byte[]? hash = null;
        var suffix = $",\"sequence\":{envelope.Sequence.ToString(CultureInfo.InvariantCulture)}";
        var withoutEnd = json.AsSpan(0, json.Length - 1);
        if (withoutEnd.EndsWith("\"") && withoutEnd.Length > 74 && withoutEnd[^74..].StartsWith(",\"hash\":\""))
        {
            hash = System.Convert.FromHexString(withoutEnd[^65..^1]);
            withoutEnd = withoutEnd[..^74];
        }

        if (!json.EndsWith('}') || !withoutEnd.EndsWith(suffix))
        {
            return null;
        }

        var body = string.Concat(withoutEnd[..^suffix.Length], "}");
        var timestamp = ReadTimestamp(body) ?? envelope.CommittedAt;
        return new StoredEvent(envelope.Sequence, envelope.Id, envelope.Type, envelope.AgentId, envelope.UserId, timestamp,
            envelope.CommittedAt, body, hash);
    }

    private static DateTimeOffset? ReadTimestamp(string body)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(body), new JsonReaderOptions { MaxDepth = StreamEvent.MaxStoredDepth });
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isTimestamp = reader.ValueTextEquals("timestamp"u8);
            reader.Read();
            if (isTimestamp)
            {
                return reader.TryGetDateTimeOffset(out var timestamp) ? timestamp : null;
            }

            reader.Skip();
        }

        return null;
    }
}
