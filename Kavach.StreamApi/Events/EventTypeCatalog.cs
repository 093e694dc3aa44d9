namespace Kavach.StreamApi.Events;

/// <summary>Checks against the twelve event types (<see cref="KavachEventTypes"/>).</summary>
public static class EventTypeCatalog
{
    public static IReadOnlyList<string> All => KavachEventTypes.All;

    public static string AllAsText { get; } = string.Join(", ", All);

    public static bool IsKnown(string type) => KavachEventTypes.IsKnown(type);
}
