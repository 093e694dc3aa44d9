using System.Globalization;
using System.Text;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services;

/// <summary>
/// The console's query of one page of <c>GET /api/kavach/events</c> (ascending, paged by <c>after</c>); <see cref="Text"/>
/// is the API's <c>q</c>, text searched in the event.
/// </summary>
public sealed record PageQuery(
    long? After = null,
    IReadOnlyCollection<string>? Types = null,
    string? AgentId = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    int Limit = 100,
    string? UserId = null,
    string? Text = null)
{
    public const int MaxLimit = 1000;

    public string ToPath()
    {
        var query = new StringBuilder(KavachRoutes.Events).Append('?');
        query.Append("limit=").Append(Math.Clamp(Limit, 1, MaxLimit).ToString(CultureInfo.InvariantCulture));
        if (After is { } after)
        {
            query.Append("&after=").Append(after.ToString(CultureInfo.InvariantCulture));
        }

        if (Types is { Count: > 0 })
        {
            query.Append("&types=").Append(Uri.EscapeDataString(string.Join(',', Types)));
        }

        if (!string.IsNullOrWhiteSpace(AgentId))
        {
            query.Append("&agentId=").Append(Uri.EscapeDataString(AgentId.Trim()));
        }

        if (!string.IsNullOrWhiteSpace(UserId))
        {
            query.Append("&userId=").Append(Uri.EscapeDataString(UserId.Trim()));
        }

        if (!string.IsNullOrWhiteSpace(Text))
        {
            query.Append("&q=").Append(Uri.EscapeDataString(Text.Trim()));
        }

        if (Since is { } since)
        {
            query.Append("&since=").Append(Uri.EscapeDataString(since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        if (Until is { } until)
        {
            query.Append("&until=").Append(Uri.EscapeDataString(until.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        }

        return query.ToString();
    }
}
