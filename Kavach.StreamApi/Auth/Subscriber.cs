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
}

public enum TokenProblem
{
    Missing,
    Invalid,
    Revoked,
}

/// <summary>A token check's outcome: a subscriber, or why there is none.</summary>
public readonly record struct TokenCheck(Subscriber? Subscriber, TokenProblem Problem)
{
    public static TokenCheck Valid(Subscriber subscriber) => new(subscriber, default);

    public static TokenCheck Failed(TokenProblem problem) => new(null, problem);
}
