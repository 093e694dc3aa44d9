namespace Kavach.Contracts;

/// <summary>What a token may do, as its <see cref="KavachClaims.Scope"/> claim lists it (docs/api.md, "Scopes and claims").</summary>
public static class KavachScopes
{
    /// <summary>Read the stream, replay, pages, connection counts and the integrity routes.</summary>
    public const string Read = "events:read";

    /// <summary>Emit events.</summary>
    public const string Emit = "events:emit";

    /// <summary>Revoke tokens and subjects, and revoke agents with <c>agent.revoked</c>.</summary>
    public const string Admin = "events:admin";

    /// <summary>
    /// Revoke a token, a subject or an agent, and nothing else: the console's response credential (docs/console.md,
    /// "Response"). Each revocation is recorded as an event in the log, naming who asked.
    /// </summary>
    public const string Revoke = "events:revoke";

    /// <summary>Raise alerts and change their state (acknowledge, resolve) on behalf of a named person: the console's alert credential.</summary>
    public const string AlertsWrite = "alerts:write";

    /// <summary>OpenID Shared Signals: create, change and delete one's SSF streams, their status and subjects, and ask for verification.</summary>
    public const string SsfManage = "ssf.manage";

    /// <summary>OpenID Shared Signals: read one's SSF streams and their status, and poll their SETs (RFC 8936).</summary>
    public const string SsfRead = "ssf.read";
}
