namespace Kavach.StreamApi.Alerts;

/// <summary>
/// A raise that passed <see cref="AlertRequestChecks"/>: its evidence sorted without duplicates, and the subject of the
/// token that raises it.
/// </summary>
public sealed record NewAlert(
    string Rule,
    string Kind,
    string EntityKind,
    string Entity,
    string Title,
    string? Detail,
    long[] Evidence,
    int? DedupeWindowSeconds,
    Guid? NotifyDestination,
    string RaisedBy);
