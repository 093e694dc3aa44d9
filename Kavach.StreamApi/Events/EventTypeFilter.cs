using System.Collections.Frozen;

namespace Kavach.StreamApi.Events;

/// <summary>
/// The set of types one reader may receive: the module allow-list, narrowed by what the reader asked for.
/// Every read path (live, replay, paging) goes through one of these, so no path can leak a type.
/// </summary>
public sealed class EventTypeFilter
{
    private readonly FrozenSet<string> _types;

    private EventTypeFilter(IEnumerable<string> types)
    {
        _types = types.ToFrozenSet(StringComparer.Ordinal);
        Types = [.. _types.Order(StringComparer.Ordinal)];
    }

    /// <summary>The permitted types, sorted; passed to SQL as <c>type = ANY(...)</c>.</summary>
    public string[] Types { get; }

    public bool Allows(string type) => _types.Contains(type);

    public static EventTypeFilter ForModule(IReadOnlyCollection<string> allowList) =>
        new(allowList.Count == 0 ? EventTypeCatalog.All : allowList);

    /// <summary>Only the types both allow (a token's granted types, say); null grants leave this filter as it is.</summary>
    public EventTypeFilter Intersect(IReadOnlySet<string>? granted) =>
        granted is null ? this : new EventTypeFilter(_types.Where(granted.Contains));

    /// <summary>
    /// Parses a <c>types=a,b</c> query value against the module filter. Unknown names are an error; known names
    /// outside the allow-list are simply never delivered.
    /// </summary>
    public bool TryNarrow(string? requested, out EventTypeFilter filter, out string? error)
    {
        filter = this;
        error = null;
        if (string.IsNullOrWhiteSpace(requested))
        {
            return true;
        }

        var names = requested.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = names.Where(n => !EventTypeCatalog.IsKnown(n)).ToArray();
        if (unknown.Length > 0)
        {
            error = $"Unknown event type(s): {string.Join(", ", unknown)}. Valid types: {EventTypeCatalog.AllAsText}.";
            return false;
        }

        filter = new EventTypeFilter(names.Where(Allows));
        return true;
    }
}
