using System.Text.Json.Nodes;
using Kavach.Contracts;

namespace Kavach.AttackTests.Harness;

/// <summary>An event as the oracle judges it: only the fields a grant looks at.</summary>
public sealed record Party(string Type, string? AgentId, string? UserId);

/// <summary>
/// What a token may read, worked out from docs/security.md alone — not from the product's code — so that the attacks
/// and the fuzzer judge the server by the contract: a narrowing claim that is absent narrows nothing; one that is
/// present narrows to its values, an empty array to nothing; a value that is not a string or an array of non-empty
/// strings (or names no event type, for <c>kavach_types</c>) makes the token invalid.
/// </summary>
public sealed record GrantOracle(bool Valid, IReadOnlySet<string>? Types, IReadOnlySet<string>? Agents, IReadOnlySet<string>? Users)
{
    public bool NarrowsParties => Agents is not null || Users is not null;

    /// <summary>Reads every event: no narrowing claim at all.</summary>
    public bool ReadsEverything => Valid && Types is null && !NarrowsParties;

    public bool Allows(Party e) =>
        Valid
        && (Types is null || Types.Contains(e.Type))
        && (!NarrowsParties
            || (e.AgentId is not null && Agents?.Contains(e.AgentId) == true)
            || (e.UserId is not null && Users?.Contains(e.UserId) == true));

    public static GrantOracle Of(string subject, JsonObject claims)
    {
        var valid = true;
        var types = Values(claims, KavachClaims.Types, ref valid);
        var agents = Values(claims, KavachClaims.Agents, ref valid);
        var users = Values(claims, KavachClaims.Users, ref valid);
        if (types is not null && types.Any(t => !KavachEventTypes.IsKnown(t)))
        {
            valid = false;
        }

        if (claims.TryGetPropertyValue(KavachClaims.SubjectKind, out var kind))
        {
            switch (kind is JsonValue value && value.TryGetValue<string>(out var text) ? text : null)
            {
                case "agent":
                    agents = [.. agents ?? [], subject];
                    break;
                case "user":
                    users = [.. users ?? [], subject];
                    break;
                default:
                    valid = false;
                    break;
            }
        }

        return new GrantOracle(valid, types, agents, users);
    }

    private static HashSet<string>? Values(JsonObject claims, string name, ref bool valid)
    {
        if (!claims.TryGetPropertyValue(name, out var node))
        {
            return null;
        }

        switch (node)
        {
            case JsonValue value when value.TryGetValue<string>(out var single) && single.Length > 0:
                return [single];
            case JsonArray array when array.All(v => v is JsonValue item && item.TryGetValue<string>(out var s) && s.Length > 0):
                return [.. array.Select(v => v!.GetValue<string>())];
            default:
                valid = false; // null, a number, an object, a boolean, "" or an array holding anything but non-empty strings
                return [];
        }
    }
}
