using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>The open alerts as last read from the API, and whether that read worked.</summary>
public sealed record AlertsState(IReadOnlyList<AlertView> Open, bool MoreOpen, DateTimeOffset? FetchedAt, string? Error, DateTimeOffset? ErrorAt)
{
    public static readonly AlertsState Unknown = new([], false, null, null, null);
}
