using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Destinations;

/// <summary>How the console reads a destination's state, its URL and its age figures, in one place.</summary>
public static class DestinationStatus
{
    public const string Enabled = "enabled";
    public const string Paused = "paused";
    public const string Disabled = "disabled";

    /// <summary>The engine's own pause reason once a destination kept failing for the whole retry horizon (docs/webhooks.md).</summary>
    public const string RetryHorizonReason = "retry horizon";

    public static bool Is(DestinationView destination, string state) =>
        string.Equals(destination.State, state, StringComparison.OrdinalIgnoreCase);

    public static bool IsPausedByRetryHorizon(DestinationView destination) =>
        Is(destination, Paused) && destination.StateReason?.StartsWith(RetryHorizonReason, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>One alert per pause: the same destination paused by the horizon again later is a new alert.</summary>
    public static string AlertKey(DestinationView destination) =>
        $"{destination.Id:N}:{destination.FailingSince?.ToUnixTimeMilliseconds()}:{destination.StateReason}";

    /// <summary>
    /// The URL as the page shows it: no user name or password, the query's values and the fragment replaced by "…" —
    /// receivers often put a token there, and the console's viewers need to see where, not with what.
    /// </summary>
    public static string DisplayUrl(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "—";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "(not a URL)";
        }

        var shown = $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : $":{uri.Port}")}{uri.AbsolutePath}";
        if (uri.Query.Length > 1)
        {
            var names = uri.Query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split('=', 2)[0]);
            shown += "?" + string.Join('&', names.Select(name => $"{name}=…"));
        }

        return uri.Fragment.Length > 1 ? shown + "#…" : shown;
    }

    /// <summary>"4 s", "12 min", "3 h", "2 d": how long ago, or how far ahead.</summary>
    public static string Span(TimeSpan span)
    {
        var s = span.Duration();
        return s.TotalSeconds < 90 ? $"{s.TotalSeconds:0} s"
            : s.TotalMinutes < 90 ? $"{s.TotalMinutes:0} min"
            : s.TotalHours < 36 ? $"{s.TotalHours:0} h"
            : $"{s.TotalDays:0} d";
    }

    public static string Ago(DateTimeOffset? at, DateTimeOffset now) => at is { } t ? $"{Span(now - t)} ago" : "never";

    /// <summary>The age of the oldest event the destination has not yet been sent, or nothing when it is caught up.</summary>
    public static string OldestUndelivered(DestinationView destination, DateTimeOffset now) =>
        destination.Lag > 0 && destination.OldestUndeliveredAt is { } oldest ? Span(now - oldest) : "—";
}
