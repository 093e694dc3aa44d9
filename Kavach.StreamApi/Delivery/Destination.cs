using System.Collections.Frozen;
using System.Text.Json;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Delivery;

public enum DestinationKind
{
    Webhook,
    Ssf,
}

/// <summary>SSF's three stream states (§8.1.2.1), which webhooks share: enabled sends, paused holds, disabled drops.</summary>
public enum DestinationState
{
    Enabled,
    Paused,
    Disabled,
}

/// <summary>
/// One place the log is pushed to (or, for an SSF poll stream, polled from), as <c>kavach_destinations</c> holds it: what
/// it may receive (its types and a read grant with the same claims as a token's), where its cursor stands, and how its
/// last attempts went.
/// </summary>
public sealed record Destination(
    Guid Id,
    DestinationKind Kind,
    Uri? Url,
    string? Description,
    IReadOnlyList<string>? EventTypes,
    ReadGrant Grant,
    JsonElement Config,
    DestinationState State,
    string? StateReason,
    long Cursor,
    long CursorEpoch,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Attempts,
    DateTimeOffset? FailingSince,
    DateTimeOffset? NextAttemptAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastSuccessAt,
    long Delivered)
{
    private readonly FrozenSet<string>? _types = EventTypes?.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Whether this destination receives the event: its type is one it asked for and its grant allows, and — when the
    /// grant narrows parties — its agent or user is granted. The same rule as a token's (<see cref="ReadScope"/>).
    /// </summary>
    public bool Allows(string type, string? agentId, string? userId) =>
        (_types is null || _types.Contains(type))
        && (Grant.Types is null || Grant.Types.Contains(type))
        && (!Grant.NarrowsParties
            || (agentId is not null && Grant.Agents?.Contains(agentId) == true)
            || (userId is not null && Grant.Users?.Contains(userId) == true));

    public bool Allows(StoredEvent stored) => Allows(stored.Type, stored.AgentId, stored.UserId);

    /// <summary>Pushed by the engine (an SSF poll stream has no URL: its receiver fetches).</summary>
    public bool IsPushed => Url is not null;
}
