using Kavach.StreamApi.Events;
using Kavach.Contracts;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// Who holds the token: its subject (the stream's subscriber id), scopes, what its claims let it read, and what is
/// needed to end its streams when its authority ends (expiry, revocation).
/// </summary>
public sealed record Subscriber(
    string Id,
    IReadOnlySet<string> Scopes,
    ReadGrant Reads,
    string? TokenId = null,
    DateTimeOffset? IssuedAt = null,
    DateTimeOffset? ExpiresAt = null)
{
    /// <summary>Streams without authentication (<c>RequireAuth=false</c>): everything, for ever.</summary>
    public static readonly Subscriber Anonymous = new("anonymous", new HashSet<string>(), ReadGrant.Everything);

    public bool IsAnonymous => ReferenceEquals(this, Anonymous);

    public bool HasScope(string scope) => Scopes.Contains(scope);

    /// <summary>The agent this token speaks for, when its subject is an agent: revoking the agent ends its streams.</summary>
    public string? Agent => Reads.SubjectIsAgent ? Id : null;

    /// <summary>The user this token speaks for, when its subject is a user.</summary>
    public string? User => Reads.SubjectIsUser ? Id : null;

    /// <summary>This token as an emitter: it owns the ids it uses, speaks for its own agent or user, and (with <c>events:admin</c>) may revoke.</summary>
    public Events.Emitter AsEmitter() => new(Id, Agent, User, MayChangeAccess: HasScope(KavachScopes.Admin));
}

public enum TokenProblem
{
    Missing,
    Invalid,
    Revoked,

    /// <summary>Whether the token is revoked cannot be known now (revocations not read recently): 503, never a guess.</summary>
    Unverifiable,
}

/// <summary>A token check's outcome: a subscriber, or why there is none (with what is wrong, when that can be said).</summary>
public readonly record struct TokenCheck(Subscriber? Subscriber, TokenProblem Problem, string? Detail = null)
{
    public static TokenCheck Valid(Subscriber subscriber) => new(subscriber, default);

    public static TokenCheck Failed(TokenProblem problem, string? detail = null) => new(null, problem, detail);
}
