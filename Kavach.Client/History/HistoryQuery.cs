namespace Kavach.Client;

/// <summary>Which stored events <see cref="KavachClient.ReadHistoryAsync"/> pages through (<c>GET /api/kavach/events</c>).</summary>
public sealed record HistoryQuery
{
    /// <summary>Events after this sequence (0: from the first).</summary>
    public long After { get; init; }

    public IReadOnlyList<string> Types { get; init; } = [];

    public string? AgentId { get; init; }

    public string? UserId { get; init; }

    /// <summary>Timestamp at or after.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Timestamp before (exclusive).</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Events per request, 1–1000.</summary>
    public int PageSize { get; init; } = 100;
}
