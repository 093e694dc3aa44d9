namespace Kavach.Contracts;

/// <summary>
/// The JWT claims the stream API reads (docs/api.md, "Scopes and claims"). The <c>kavach_*</c> claims narrow what a
/// token may read; a claim that is present narrows, and <c>[]</c> reads nothing.
/// </summary>
public static class KavachClaims
{
    /// <summary>The token's subject: who emits, and whose revocation ends it.</summary>
    public const string Subject = "sub";

    /// <summary>The token's id, by which one token is revoked.</summary>
    public const string TokenId = "jti";

    /// <summary>The OAuth 2.0 scopes, space-separated (<see cref="KavachScopes"/>).</summary>
    public const string Scope = "scope";

    /// <summary>The scopes as Entra ID issues them.</summary>
    public const string EntraScope = "scp";

    /// <summary>Event types the holder may read (a JSON array; a string is one type); absent: every type.</summary>
    public const string Types = "kavach_types";

    /// <summary>Agents whose events the holder may read (a JSON array; a string is one agent id).</summary>
    public const string Agents = "kavach_agents";

    /// <summary>Users whose events the holder may read (a JSON array; a string is one user id).</summary>
    public const string Users = "kavach_users";

    /// <summary>"agent" or "user": the token's subject is that agent or user, and reads its own events only.</summary>
    public const string SubjectKind = "kavach_subject";

    /// <summary><see cref="SubjectKind"/>: the subject is an agent, and reads the events whose <c>agentId</c> is its own.</summary>
    public const string AgentSubject = "agent";

    /// <summary><see cref="SubjectKind"/>: the subject is a user, and reads the events whose <c>userId</c> is its own.</summary>
    public const string UserSubject = "user";
}
