using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// One read of committed events, by sequence. <see cref="Scope"/> null means every event (the hub's own reads);
/// readers always pass theirs, so the database applies the same rules as the live path. <see cref="TextPattern"/> is a
/// LIKE pattern over the stored body (<see cref="SearchText.ToPattern"/>), matched case-insensitively.
/// </summary>
public sealed record EventQuery(
    long After,
    int Limit,
    ReadScope? Scope = null,
    long? UpTo = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    bool NewestFirst = false,
    string? TextPattern = null);
