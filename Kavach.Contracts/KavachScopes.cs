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
}
