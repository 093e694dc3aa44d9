namespace Kavach.StreamApi.Auth;

/// <summary>Who holds the token: the stream's subscriber id (the token's <c>sub</c>) and its scopes.</summary>
public sealed record Subscriber(string Id, IReadOnlySet<string> Scopes)
{
    public static readonly Subscriber Anonymous = new("anonymous", new HashSet<string>());

    public bool HasScope(string scope) => Scopes.Contains(scope);
}

public enum TokenProblem
{
    Missing,
    Invalid,
}

/// <summary>A token check's outcome: a subscriber, or why there is none.</summary>
public readonly record struct TokenCheck(Subscriber? Subscriber, TokenProblem Problem)
{
    public static TokenCheck Valid(Subscriber subscriber) => new(subscriber, default);

    public static TokenCheck Failed(TokenProblem problem) => new(null, problem);
}
