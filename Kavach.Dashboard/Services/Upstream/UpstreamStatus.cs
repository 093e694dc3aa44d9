namespace Kavach.Dashboard.Services.Upstream;

public enum UpstreamState
{
    Connecting,
    Connected,
    Reconnecting,
}

/// <summary>The console's one subscription to the stream API, as the status bar shows it.</summary>
public sealed record UpstreamStatus
{
    public UpstreamState State { get; init; } = UpstreamState.Connecting;

    public DateTimeOffset? ConnectedSince { get; init; }

    /// <summary>Last time any bytes arrived (events or <c>: heartbeat</c> comments).</summary>
    public DateTimeOffset? LastHeartbeat { get; init; }

    public DateTimeOffset? NextAttemptAt { get; init; }

    public string? SubscriberId { get; init; }

    /// <summary>What the console's own token allows (its scopes), so people see it cannot do more.</summary>
    public string? Scopes { get; init; }

    public string? LastError { get; init; }

    public int Reconnects { get; init; }

    /// <summary>Set when the API said our cursor was older than its retention (events before it are gone).</summary>
    public string? Resync { get; init; }

    /// <summary>Live connections across all API replicas, as the API reports them.</summary>
    public long? ApiConnections { get; init; }
}
