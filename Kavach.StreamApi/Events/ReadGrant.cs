using System.Collections.Frozen;
using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.StreamApi.Events;

/// <summary>
/// What a token's claims let its holder read: the event types (null: any), and the agents and users whose events
/// (null: anyone's). An event is readable when its type is granted and — if parties are narrowed at all — its
/// <c>agentId</c> is a granted agent or its <c>userId</c> a granted user. <c>kavach_subject</c> = <c>agent</c> or
/// <c>user</c> grants the token's own subject.
/// </summary>
/// <remarks>
/// Fails closed: a narrowing claim that is present narrows, an empty array to nothing at all (an identity provider
/// mapping "the users this admin manages" gives <c>[]</c> to an admin who manages none yet). A claim of the wrong shape
/// invalidates the token rather than being read as absent.
/// </remarks>
public sealed record ReadGrant(
    FrozenSet<string>? Types,
    FrozenSet<string>? Agents,
    FrozenSet<string>? Users,
    bool SubjectIsAgent = false,
    bool SubjectIsUser = false)
{
    public static readonly ReadGrant Everything = new(null, null, null);

    public bool NarrowsParties => Agents is not null || Users is not null;

    /// <summary>Reads nothing narrowed: every type, every party (what verification, which reads every event, needs).</summary>
    public bool ReadsEverything => Types is null && !NarrowsParties;

    /// <summary>
    /// The one grant parser: reads the <c>kavach_*</c> claims from a token's JSON payload. False with the reason when
    /// one is malformed: not a string or an array of strings, an id the emit rules would refuse (empty, too long,
    /// control characters), a type that is not one of the twelve, a <c>kavach_subject</c> other than agent or user.
    /// </summary>
    public static bool TryParse(JsonElement payload, string subject, out ReadGrant grant, out string? error)
    {
        grant = Everything;
        if (!TryValues(payload, KavachClaims.Types, out var types, out error)
            || !TryValues(payload, KavachClaims.Agents, out var agents, out error)
            || !TryValues(payload, KavachClaims.Users, out var users, out error))
        {
            return false;
        }

        if (types?.FirstOrDefault(t => !KavachEventTypes.IsKnown(t)) is { } unknown)
        {
            error = $"The token's {KavachClaims.Types} claim names '{Shorten(unknown)}', which is not an event type. Types: {EventTypeCatalog.AllAsText}.";
            return false;
        }

        string? kind = null;
        if (payload.TryGetProperty(KavachClaims.SubjectKind, out var kindClaim))
        {
            kind = kindClaim.ValueKind == JsonValueKind.String ? kindClaim.GetString() : null;
            if (kind is not (KavachClaims.AgentSubject or KavachClaims.UserSubject))
            {
                error = $"The token's {KavachClaims.SubjectKind} claim must be \"agent\" or \"user\".";
                return false;
            }

            if (kind == KavachClaims.AgentSubject)
            {
                agents = [.. agents ?? [], subject];
            }
            else
            {
                users = [.. users ?? [], subject];
            }
        }

        grant = new ReadGrant(
            types?.ToFrozenSet(StringComparer.Ordinal),
            agents?.ToFrozenSet(StringComparer.Ordinal),
            users?.ToFrozenSet(StringComparer.Ordinal),
            SubjectIsAgent: kind == KavachClaims.AgentSubject,
            SubjectIsUser: kind == KavachClaims.UserSubject);
        return true;
    }

    /// <summary>A claim's values: absent (null), one string, or an array of strings (possibly empty).</summary>
    private static bool TryValues(JsonElement payload, string claim, out List<string>? values, out string? error)
    {
        values = null;
        error = null;
        if (!payload.TryGetProperty(claim, out var value))
        {
            return true;
        }

        IEnumerable<JsonElement> items = value.ValueKind switch
        {
            JsonValueKind.String => [value],
            JsonValueKind.Array => value.EnumerateArray(),
            _ => [],
        };
        if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            error = $"The token's {claim} claim must be a string or an array of strings, not {Describe(value.ValueKind)}.";
            return false;
        }

        values = [];
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                error = $"The token's {claim} claim must be a string or an array of strings; it holds {Describe(item.ValueKind)}.";
                return false;
            }

            var text = item.GetString()!;
            if (IdText.Check(text) is { } textError)
            {
                error = $"The token's {claim} claim holds a value that can name nothing: {textError}";
                return false;
            }

            values.Add(text);
        }

        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
