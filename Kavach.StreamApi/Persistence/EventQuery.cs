namespace Kavach.StreamApi.Persistence;

/// <summary>
/// One read of committed events, by sequence. <see cref="Types"/> null means every type (the hub's own catch-up);
/// readers always pass their <see cref="Events.EventTypeFilter"/>'s types.
/// </summary>
public sealed record EventQuery(
    long After,
    int Limit,
    string[]? Types = null,
    long? UpTo = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? AgentId = null,
    bool NewestFirst = false);
