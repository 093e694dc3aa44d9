using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Feed;

public enum AlertKind
{
    Anomaly,
    BudgetExceeded,
    AuthFailedBurst,
}

/// <summary>Something an operator must see; it stays on screen until someone acknowledges it.</summary>
public sealed record Alert(long Id, AlertKind Kind, string Title, string Detail, KavachEvent Event, DateTimeOffset RaisedAt)
{
    public bool Acknowledged { get; init; }
}
