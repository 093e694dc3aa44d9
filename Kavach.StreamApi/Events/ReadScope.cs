using System.Collections.Frozen;
using Kavach.Contracts;
using Kavach.StreamApi.Auth;

namespace Kavach.StreamApi.Events;

/// <summary>
/// Everything one reader may receive, decided once per stream or request: the types (module allow-list ∩ the
/// token's grant ∩ the request's <c>types</c>), the parties the token grants (an event's <c>agentId</c> or
/// <c>userId</c> among them), and the request's own <c>agentId</c>/<c>userId</c> filters. A request can only narrow:
/// asking for what the token can never read is refused. Every read path — live, replay by cursor, <c>/replay</c>,
/// pages and the module API — asks the same <see cref="Allows(string, string?, string?)"/> (or the same SQL), so no
/// path can leak an event; checking one event is a few set lookups, with nothing allocated.
/// </summary>
public sealed class ReadScope
{
    private ReadScope(EventTypeFilter types, FrozenSet<string>? agents, FrozenSet<string>? users, string? agentId, string? userId)
    {
        Types = types;
        GrantedAgents = agents;
        GrantedUsers = users;
        AgentId = agentId;
        UserId = userId;
    }

    public EventTypeFilter Types { get; }

    /// <summary>Agents the token grants; null with <see cref="GrantedUsers"/> null: any party.</summary>
    public FrozenSet<string>? GrantedAgents { get; }

    public FrozenSet<string>? GrantedUsers { get; }

    /// <summary>The request's own filter: only this agent's events.</summary>
    public string? AgentId { get; }

    /// <summary>The request's own filter: only this user's events.</summary>
    public string? UserId { get; }

    public bool NarrowsParties => GrantedAgents is not null || GrantedUsers is not null;

    /// <summary>What the module allows, for code that reads as the service itself (the in-process API's default).</summary>
    public static ReadScope Module(EventTypeFilter moduleTypes) => new(moduleTypes, null, null, null, null);

    public bool Allows(string type, string? agentId, string? userId) =>
        Types.Allows(type)
        && (!NarrowsParties
            || (agentId is not null && GrantedAgents?.Contains(agentId) == true)
            || (userId is not null && GrantedUsers?.Contains(userId) == true))
        && (AgentId is null || AgentId == agentId)
        && (UserId is null || UserId == userId);

    public bool Allows(EventEnvelope envelope) => Allows(envelope.Type, envelope.AgentId, envelope.UserId);

    /// <summary>
    /// The scope of a request by <paramref name="reader"/>: the module's types narrowed by the token's grant and by the
    /// request's <c>types</c>, <c>agentId</c> and <c>userId</c>. False with a 400 <paramref name="badRequest"/> for an
    /// unknown type, or a 403 <paramref name="forbidden"/> for asking what the token can never read.
    /// </summary>
    public static bool TryCreate(EventTypeFilter moduleTypes, ReadGrant grant, string? types, string? agentId, string? userId,
        out ReadScope scope, out string? badRequest, out string? forbidden)
    {
        scope = Module(moduleTypes);
        forbidden = null;
        if (!moduleTypes.TryNarrow(types, out var requested, out badRequest))
        {
            return false;
        }

        if (grant.Types is { } grantedTypes && !string.IsNullOrWhiteSpace(types)
            && requested.Types.FirstOrDefault(t => !grantedTypes.Contains(t)) is { } refused)
        {
            forbidden = $"This token may not read '{refused}' events (its {KavachClaims.Types} claim).";
            return false;
        }

        // A party the token cannot read at all: its only grants are of the other kind of party, or of other ids.
        if (agentId is not null && grant.NarrowsParties && grant.Users is null && grant.Agents?.Contains(agentId) != true)
        {
            forbidden = $"This token may not read agent '{agentId}''s events (its {KavachClaims.Agents} claim).";
            return false;
        }

        if (userId is not null && grant.NarrowsParties && grant.Agents is null && grant.Users?.Contains(userId) != true)
        {
            forbidden = $"This token may not read user '{userId}''s events (its {KavachClaims.Users} claim).";
            return false;
        }

        scope = new ReadScope(requested.Intersect(grant.Types), grant.Agents, grant.Users, agentId, userId);
        return true;
    }
}
