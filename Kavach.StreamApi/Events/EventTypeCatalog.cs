using System.Collections.Frozen;

namespace Kavach.StreamApi.Events;

/// <summary>The twelve event types of the KavachOS stream, spelled exactly as clients use them.</summary>
public static class EventTypeCatalog
{
    public static readonly IReadOnlyList<string> All =
    [
        "audit",
        "agent.created",
        "agent.revoked",
        "agent.rotated",
        "auth.signin",
        "auth.signout",
        "auth.failed",
        "delegation.created",
        "delegation.revoked",
        "budget.exceeded",
        "anomaly.detected",
        "cost.recorded",
    ];

    private static readonly FrozenSet<string> Known = All.ToFrozenSet(StringComparer.Ordinal);

    public static string AllAsText { get; } = string.Join(", ", All);

    public static bool IsKnown(string type) => Known.Contains(type);
}
