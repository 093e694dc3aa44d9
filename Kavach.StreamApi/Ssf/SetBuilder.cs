using System.Buffers;
using System.Text;
using System.Text.Json;
using Kavach.StreamApi.Events;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// Security Event Tokens (RFC 8417) as SSF 1.0 profiles them: typed <c>secevent+jwt</c>, signed RS256, with <c>iss</c>,
/// <c>jti</c>, <c>iat</c>, <c>aud</c>, <c>txn</c>, <c>sub_id</c> and one event in <c>events</c>; no <c>sub</c>, no <c>exp</c>.
/// A log event's SET is the same bytes each time it is made (its <c>iat</c> is the event's commit time, its <c>jti</c>
/// the stream and sequence, and RS256 signatures are deterministic), so a redelivery is an exact duplicate. Its event
/// object carries our event too, as <c>kavach_event</c> — exactly as the stream serves it, sequence and hash included —
/// so a receiver can follow our hash chain (docs/integrity.md).
/// </summary>
public sealed class SetBuilder(SsfKeys keys)
{
    public const string TokenType = "secevent+jwt";

    /// <summary>The member of the event object holding our event.</summary>
    public const string KavachEventMember = "kavach_event";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The SET's claims for one event of the log (unsigned JSON).</summary>
    public static string Claims(SsfStream stream, StoredEvent stored)
    {
        var mapping = CaepRiscMapping.Of(stored.Type) ?? throw new ArgumentException($"No SSF event for '{stored.Type}'.", nameof(stored));
        return Write(writer =>
        {
            WriteHeaderClaims(writer, stream, stream.Jti(stored.Sequence), stored.CommittedAt);
            writer.WriteString("txn", stored.Id);
            writer.WritePropertyName("sub_id");
            WritePrimarySubject(writer, stream, stored, mapping.Principal);
            writer.WriteStartObject("events");
            writer.WriteStartObject(mapping.EventUri);
            CaepRiscFields.Write(writer, mapping, stored);
            writer.WritePropertyName(KavachEventMember);
            var served = new ArrayBufferWriter<byte>(stored.Body.Length + 128);
            stored.WriteJson(served);
            writer.WriteRawValue(served.WrittenSpan, skipInputValidation: true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    /// <summary>The claims of a verification event (SSF §8.1.4.1): its subject is the stream, its state the receiver's.</summary>
    public static string VerificationClaims(SsfStream stream, string jti, string? state, DateTimeOffset issuedAt) =>
        StreamEventClaims(stream, jti, issuedAt, CaepRiscMapping.Verification, writer =>
        {
            if (state is not null)
            {
                writer.WriteString("state", state);
            }
        });

    /// <summary>The claims of a stream-updated event (SSF §8.1.5): the status we set without the receiver asking.</summary>
    public static string StreamUpdatedClaims(SsfStream stream, string jti, string status, string? reason, DateTimeOffset issuedAt) =>
        StreamEventClaims(stream, jti, issuedAt, CaepRiscMapping.StreamUpdated, writer =>
        {
            writer.WriteString("status", status);
            if (reason is not null)
            {
                writer.WriteString("reason", reason);
            }
        });

    /// <summary>Signs claims with the newest key: a compact JWS with <c>typ</c> <see cref="TokenType"/> and the key's <c>kid</c>.</summary>
    public async Task<string> SignAsync(string claims, CancellationToken cancellationToken) =>
        Sign(claims, await keys.CurrentAsync(cancellationToken));

    public static string Sign(string claims, SsfSigningKey key) =>
        Handler.CreateToken(claims, key.Credentials(), new Dictionary<string, object> { [JwtHeaderParameterNames.Typ] = TokenType });

    public Task<string> BuildAsync(SsfStream stream, StoredEvent stored, CancellationToken cancellationToken) =>
        SignAsync(Claims(stream, stored), cancellationToken);

    private static string StreamEventClaims(SsfStream stream, string jti, DateTimeOffset issuedAt, string eventUri, Action<Utf8JsonWriter> fields) =>
        Write(writer =>
        {
            WriteHeaderClaims(writer, stream, jti, issuedAt);
            writer.WritePropertyName("sub_id");
            SsfSubjectId.WriteOpaque(writer, stream.StreamId);
            writer.WriteStartObject("events");
            writer.WriteStartObject(eventUri);
            fields(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });

    private static void WriteHeaderClaims(Utf8JsonWriter writer, SsfStream stream, string jti, DateTimeOffset issuedAt)
    {
        writer.WriteString("iss", stream.Settings.Issuer);
        writer.WriteString("jti", jti);
        writer.WriteNumber("iat", issuedAt.ToUnixTimeSeconds());
        writer.WriteString("aud", stream.Settings.Audience);
    }

    /// <summary>
    /// <c>sub_id</c>: the mapping's principal when the event names it, else the other party, else the event itself
    /// (<c>opaque</c>, its id). One principal only: a complex subject must describe one principal (SSF §3.3.1), and an
    /// agent acting for a user is two.
    /// </summary>
    private static void WritePrimarySubject(Utf8JsonWriter writer, SsfStream stream, StoredEvent stored, SsfPrincipal principal)
    {
        var (first, firstIssuer, second, secondIssuer) = principal == SsfPrincipal.User
            ? (stored.UserId, stream.UserIssuer, stored.AgentId, stream.AgentIssuer)
            : (stored.AgentId, stream.AgentIssuer, stored.UserId, stream.UserIssuer);
        if (first is not null)
        {
            SsfSubjectId.WriteIssSub(writer, firstIssuer, first);
        }
        else if (second is not null)
        {
            SsfSubjectId.WriteIssSub(writer, secondIssuer, second);
        }
        else
        {
            SsfSubjectId.WriteOpaque(writer, stored.Id);
        }
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
