using System.Globalization;
using System.Text;
using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>What to stream and from where. Filters only narrow what the token may read.</summary>
public sealed record StreamRequest
{
    /// <summary>Only these event types (<c>types=</c>); empty: every type the token may read.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>Only this agent's events (<c>agentId=</c>).</summary>
    public string? AgentId { get; init; }

    /// <summary>Only this user's events (<c>userId=</c>).</summary>
    public string? UserId { get; init; }

    /// <summary>
    /// Resume after this position (a saved <see cref="KavachStream.Cursor"/> or an event's id: <c>1221</c> or
    /// <c>2:1221</c>). Null with no <see cref="Since"/>: live events only.
    /// </summary>
    public string? After { get; init; }

    /// <summary>With no <see cref="After"/>: start at events whose timestamp is at or after this.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Also receive the service's signed <see cref="Checkpoint"/>s of the hash chain (<c>checkpoints=true</c>).</summary>
    public bool Checkpoints { get; init; }

    internal StreamPosition? StartPosition()
    {
        if (After is null)
        {
            return null;
        }

        return StreamPosition.TryParse(After, out var position)
            ? position
            : throw new ArgumentException($"'{After}' is not a stream position: use an event id such as 1221 or 2:1221.", nameof(After));
    }

    /// <summary>The stream's path and query; <c>since=</c> only until the stream has a position of its own.</summary>
    internal string PathAndQuery(bool hasPosition)
    {
        var query = new StringBuilder(KavachRoutes.Stream);
        var separator = '?';
        void Add(string name, string value)
        {
            query.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        if (Types.Count > 0)
        {
            Add("types", string.Join(',', Types));
        }

        if (AgentId is not null)
        {
            Add("agentId", AgentId);
        }

        if (UserId is not null)
        {
            Add("userId", UserId);
        }

        if (Checkpoints)
        {
            Add("checkpoints", "true");
        }

        if (!hasPosition && Since is { } since)
        {
            Add("since", since.ToString("O", CultureInfo.InvariantCulture));
        }

        return query.ToString();
    }
}
