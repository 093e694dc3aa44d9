using System.Collections.Immutable;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Destinations;

/// <summary>The push destinations as last read, and whether that read worked.</summary>
public sealed record DestinationsState(
    IReadOnlyList<DestinationView> Destinations,
    DateTimeOffset? FetchedAt,
    string? Error,
    DateTimeOffset? ErrorAt,
    ImmutableHashSet<string> Acknowledged)
{
    public static readonly DestinationsState Unknown = new([], null, null, null, []);

    /// <summary>Destinations the engine paused because they kept failing past the retry horizon, not yet acknowledged.</summary>
    public IEnumerable<DestinationView> OpenAlerts =>
        Destinations.Where(d => DestinationStatus.IsPausedByRetryHorizon(d) && !Acknowledged.Contains(DestinationStatus.AlertKey(d)));
}
