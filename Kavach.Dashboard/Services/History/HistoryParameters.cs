using System.Globalization;
using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.History;

/// <summary>
/// The history page's choices as URL query parameters, so a view can be bookmarked and exported by a plain link.
/// Times are UTC, formatted for <c>datetime-local</c> inputs.
/// </summary>
public sealed record HistoryParameters(DateTime? From, DateTime? To, IReadOnlyList<string> Types, string? AgentId, long? After,
    string? UserId = null, string? Text = null)
{
    public const string InputFormat = "yyyy-MM-ddTHH:mm";

    public PageQuery ToQuery(int limit = 100) => new(
        After,
        Types,
        AgentId,
        From is { } from ? new DateTimeOffset(DateTime.SpecifyKind(from, DateTimeKind.Utc)) : null,
        To is { } to ? new DateTimeOffset(DateTime.SpecifyKind(to, DateTimeKind.Utc)) : null,
        limit,
        UserId,
        Text);

    public static HistoryParameters Parse(string? from, string? to, string? types, string? agentId, string? after,
        string? userId = null, string? q = null) => new(
        ParseTime(from),
        ParseTime(to),
        (types ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(t => EventTypes.IndexOf(t) >= 0).Distinct().ToArray(),
        string.IsNullOrWhiteSpace(agentId) ? null : agentId.Trim(),
        long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? a : null,
        string.IsNullOrWhiteSpace(userId) ? null : userId.Trim(),
        string.IsNullOrWhiteSpace(q) ? null : q.Trim());

    public string ToQueryString(string? format = null)
    {
        var parts = new List<string>();
        Add(parts, "from", From?.ToString(InputFormat, CultureInfo.InvariantCulture));
        Add(parts, "to", To?.ToString(InputFormat, CultureInfo.InvariantCulture));
        Add(parts, "types", Types.Count > 0 ? string.Join(',', Types) : null);
        Add(parts, "agentId", AgentId);
        Add(parts, "userId", UserId);
        Add(parts, "q", Text);
        Add(parts, "after", After?.ToString(CultureInfo.InvariantCulture));
        Add(parts, "format", format);
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static void Add(List<string> parts, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            parts.Add($"{name}={Uri.EscapeDataString(value)}");
        }
    }

    private static DateTime? ParseTime(string? value) =>
        DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? DateTime.SpecifyKind(t, DateTimeKind.Utc)
            : null;
}
