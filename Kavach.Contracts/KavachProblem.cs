namespace Kavach.Contracts;

/// <summary>
/// An RFC 7807 problem as the API answers it, with the extensions it uses: <c>errors</c> (400: each bad field) and,
/// on an emit's 503, <c>ids</c> (every event's id, generated ones included) and <c>mayBeStored</c>.
/// </summary>
public sealed record KavachProblem(
    string? Type,
    string? Title,
    int? Status,
    string? Detail,
    IReadOnlyDictionary<string, string[]>? Errors = null,
    IReadOnlyList<string>? Ids = null,
    bool? MayBeStored = null)
{
    /// <summary>The extension members' names, as the API writes them.</summary>
    public const string ErrorsField = "errors";
    public const string IdsField = "ids";
    public const string MayBeStoredField = "mayBeStored";
}
