using System.Text;
using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>
/// Turns one SSE frame's name and data into a <see cref="StreamItem"/> (SseParser's item parser): the three signals
/// by name; anything else whose JSON has the envelope's <c>id</c> and <c>sequence</c> is an event, typed by its
/// <c>type</c>; the rest (a future signal, unreadable data) is an <see cref="UnknownSignal"/>, never an exception.
/// </summary>
public static class StreamFrameParser
{
    public static StreamItem Parse(string name, ReadOnlySpan<byte> data)
    {
        try
        {
            return name switch
            {
                StreamFrameNames.Connected => Deserialize<Connected>(data),
                StreamFrameNames.Resync => Deserialize<Resync>(data),
                StreamFrameNames.Error => Deserialize<StreamError>(data),
                StreamFrameNames.Checkpoint => Deserialize<Checkpoint>(data),
                _ => ParseEvent(name, data),
            };
        }
        catch (JsonException)
        {
            return new UnknownSignal(name, Encoding.UTF8.GetString(data));
        }
    }

    private static StreamItem ParseEvent(string name, ReadOnlySpan<byte> data)
    {
        var envelope = Deserialize<KavachEvent>(data);
        return envelope.Id is null || envelope.Type is null || !HasSequence(data)
            ? new UnknownSignal(name, Encoding.UTF8.GetString(data))
            : KavachEventKinds.Of(envelope);
    }

    /// <summary>The top-level <c>sequence</c>, not one inside the event's own data.</summary>
    private static bool HasSequence(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
            {
                if (reader.ValueTextEquals("sequence"u8))
                {
                    return true;
                }

                reader.Read();
                reader.Skip();
            }
        }

        return false;
    }

    private static T Deserialize<T>(ReadOnlySpan<byte> data) =>
        JsonSerializer.Deserialize<T>(data, KavachJson.Options) ?? throw new JsonException("The frame's data is null.");
}
