using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// RFC 9493 subject identifiers: the ones our SETs carry — an agent and a user are each <c>iss_sub</c>, with the
/// issuer's <c>/agents</c> or <c>/users</c> as <c>iss</c> (so agent "x" and user "x" stay two subjects), an event naming
/// neither is <c>opaque</c> with its id — and the ones receivers send, checked and written in one canonical form
/// (members sorted, compact), so two spellings of the same subject compare equal.
/// </summary>
public static class SsfSubjectId
{
    /// <summary>A subject larger than this is refused: no real identifier is.</summary>
    public const int MaxBytes = 4096;

    public static string AgentIssuer(string issuer) => issuer.TrimEnd('/') + "/agents";

    public static string UserIssuer(string issuer) => issuer.TrimEnd('/') + "/users";

    public static void WriteIssSub(Utf8JsonWriter writer, string iss, string sub)
    {
        writer.WriteStartObject();
        writer.WriteString("format", "iss_sub");
        writer.WriteString("iss", iss);
        writer.WriteString("sub", sub);
        writer.WriteEndObject();
    }

    public static void WriteOpaque(Utf8JsonWriter writer, string id)
    {
        writer.WriteStartObject();
        writer.WriteString("format", "opaque");
        writer.WriteString("id", id);
        writer.WriteEndObject();
    }

    /// <summary>The canonical form of an <c>iss_sub</c> identifier (what <see cref="Canonical"/> makes of it).</summary>
    public static string IssSubKey(string iss, string sub) => Write(w => WriteIssSub(w, iss, sub));

    /// <summary>
    /// Checks a receiver's subject (SSF §3): an object with a string <c>format</c>; a <c>complex</c> one holds at least
    /// one member, each itself an identifier with a format. Null when good, otherwise what is wrong.
    /// </summary>
    public static string? Check(JsonElement subject)
    {
        if (subject.ValueKind != JsonValueKind.Object)
        {
            return "'subject' must be a JSON object: a subject identifier such as {\"format\":\"iss_sub\",\"iss\":\"…\",\"sub\":\"…\"}.";
        }

        if (Encoding.UTF8.GetByteCount(subject.GetRawText()) > MaxBytes)
        {
            return $"'subject' must be at most {MaxBytes} bytes.";
        }

        if (!subject.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() is not { Length: > 0 } name)
        {
            return "'subject' needs a string 'format' (RFC 9493: email, iss_sub, opaque, complex, …).";
        }

        if (name != "complex")
        {
            return subject.EnumerateObject().Count() < 2 ? $"A '{name}' subject needs its identifying members besides 'format'." : null;
        }

        var members = 0;
        foreach (var member in subject.EnumerateObject().Where(m => m.Name != "format"))
        {
            members++;
            if (member.Value.ValueKind != JsonValueKind.Object || !member.Value.TryGetProperty("format", out var inner)
                || inner.ValueKind != JsonValueKind.String || inner.GetString() == "complex")
            {
                return $"The complex subject's member '{member.Name}' must be a simple subject identifier with its own 'format'.";
            }
        }

        return members == 0 ? "A complex subject needs at least one member (user, device, session, application, tenant, org_unit, group, agent)." : null;
    }

    /// <summary>Members sorted by name at every level, compact: the same subject always gives the same text.</summary>
    public static string Canonical(JsonElement subject) => Write(w => WriteCanonical(w, subject));

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in value.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    WriteCanonical(writer, member.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
