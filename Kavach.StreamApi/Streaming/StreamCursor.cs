using System.Globalization;
using Kavach.StreamApi.Events;
using Microsoft.Extensions.Primitives;

namespace Kavach.StreamApi.Streaming;

/// <summary>
/// Where a stream resumes. The one place cursors are parsed. Precedence: the Last-Event-ID header (what
/// EventSource sends on reconnect), then the lastEventId query parameter, then since (a timestamp). A position is
/// an event's SSE id: <c>N</c>, or <c>E:N</c> in a later epoch (see <see cref="StreamPosition"/>).
/// </summary>
public sealed record StreamCursor(StreamPosition? After, DateTimeOffset? Since)
{
    public static readonly StreamCursor LiveOnly = new(null, null);

    public bool Replays => After is not null || Since is not null;

    public static bool TryParse(StringValues lastEventIdHeader, StringValues lastEventIdQuery, StringValues since,
        out StreamCursor cursor, out string? error)
    {
        cursor = LiveOnly;
        error = null;

        if (!StringValues.IsNullOrEmpty(lastEventIdHeader))
        {
            return TryParsePosition(lastEventIdHeader.ToString(), "Last-Event-ID header", out cursor, out error);
        }

        if (!StringValues.IsNullOrEmpty(lastEventIdQuery))
        {
            return TryParsePosition(lastEventIdQuery.ToString(), "lastEventId parameter", out cursor, out error);
        }

        if (!StringValues.IsNullOrEmpty(since))
        {
            if (TryParseTimestamp(since.ToString(), out var timestamp))
            {
                cursor = new StreamCursor(null, timestamp);
                return true;
            }

            error = $"The since parameter '{since}' is not an ISO-8601 timestamp with an offset, e.g. 2026-01-15T10:00:00Z.";
            return false;
        }

        return true;
    }

    /// <summary>ISO-8601 with an explicit offset (Z or ±hh:mm): a timestamp without one is ambiguous.</summary>
    public static bool TryParseTimestamp(string value, out DateTimeOffset timestamp)
    {
        timestamp = default;
        var trimmed = value.Trim();
        var hasOffset = trimmed.EndsWith('Z') || trimmed.EndsWith('z')
            || (trimmed.Length > 6 && trimmed[^6] is '+' or '-' && trimmed[^3] == ':');
        return hasOffset && trimmed.Contains('T', StringComparison.OrdinalIgnoreCase)
            && DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.None, out timestamp);
    }

    private static bool TryParsePosition(string value, string source, out StreamCursor cursor, out string? error)
    {
        if (StreamPosition.TryParse(value, out var position))
        {
            cursor = new StreamCursor(position, null);
            error = null;
            return true;
        }

        cursor = LiveOnly;
        error = $"The {source} '{Shorten(value)}' is not an event id: send the id of the last event received " +
            "(a non-negative integer such as 1221, or epoch:sequence such as 2:1221).";
        return false;
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
