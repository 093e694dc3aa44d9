using System.Collections.Frozen;
using Kavach.ServiceDefaults.Events;

namespace Kavach.StreamApi.Events;

/// <summary>Checks against the twelve event types (<see cref="KavachEventTypes"/>).</summary>
public static class EventTypeCatalog
{
    public static IReadOnlyList<string> All => KavachEventTypes.All;

    private static readonly FrozenSet<string> Known = All.ToFrozenSet(StringComparer.Ordinal);

    public static string AllAsText { get; } = string.Join(", ", All);

    public static bool IsKnown(string type) => Known.Contains(type);
}
