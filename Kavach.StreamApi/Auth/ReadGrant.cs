using System.Collections.Frozen;
using System.Security.Claims;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// What a token's claims let its holder read: the event types (null: any), and the agents and users whose events
/// (null: anyone's). An event is readable when its type is granted and — if parties are narrowed at all — its
/// <c>agentId</c> is a granted agent or its <c>userId</c> a granted user. <c>kavach_subject</c> = <c>agent</c> or
/// <c>user</c> grants the token's own subject.
/// </summary>
public sealed record ReadGrant(
    FrozenSet<string>? Types,
    FrozenSet<string>? Agents,
    FrozenSet<string>? Users,
    bool SubjectIsAgent = false,
    bool SubjectIsUser = false)
{
    public static readonly ReadGrant Everything = new(null, null, null);

    public bool NarrowsParties => Agents is not null || Users is not null;

    /// <summary>Reads the <c>kavach_*</c> claims; <paramref name="error"/> says what is wrong with them.</summary>
    public static ReadGrant FromClaims(ClaimsPrincipal principal, string subject, out string? error)
    {
        error = null;
        var types = Values(principal, KavachTokens.TypesClaim);
        var agents = Values(principal, KavachTokens.AgentsClaim);
        var users = Values(principal, KavachTokens.UsersClaim);
        var kind = principal.FindFirst(KavachTokens.SubjectKindClaim)?.Value;
        switch (kind)
        {
            case null:
                break;
            case "agent":
                agents = [.. agents ?? [], subject];
                break;
            case "user":
                users = [.. users ?? [], subject];
                break;
            default:
                error = $"The {KavachTokens.SubjectKindClaim} claim must be 'agent' or 'user', not '{kind}'.";
                break;
        }

        return new ReadGrant(
            types?.ToFrozenSet(StringComparer.Ordinal),
            agents?.ToFrozenSet(StringComparer.Ordinal),
            users?.ToFrozenSet(StringComparer.Ordinal),
            SubjectIsAgent: kind == "agent",
            SubjectIsUser: kind == "user");
    }

    /// <summary>A claim's values: a JSON array becomes one claim per element (a plain string is one value).</summary>
    private static List<string>? Values(ClaimsPrincipal principal, string type)
    {
        var values = principal.FindAll(type).Select(c => c.Value).ToList();
        return values.Count == 0 ? null : values;
    }
}
