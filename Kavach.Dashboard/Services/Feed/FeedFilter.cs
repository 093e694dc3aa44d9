using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Feed;

/// <summary>What one browser session wants to see: some types (none selected means all) and an agent or user id.</summary>
public sealed record FeedFilter(IReadOnlySet<string> Types, string? Party)
{
    public static readonly FeedFilter All = new(new HashSet<string>(), null);

    public bool IsEmpty => Types.Count == 0 && string.IsNullOrWhiteSpace(Party);

    public bool Matches(KavachEvent e)
    {
        if (Types.Count > 0 && !Types.Contains(e.Type))
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(Party))
        {
            return true;
        }

        var party = Party.Trim();
        return Contains(e.AgentId, party) || Contains(e.UserId, party);
    }

    /// <summary>The matching events, newest first; only up to <paramref name="upToSequence"/> (a paused view).</summary>
    public KavachEvent[] NewestFirst(IReadOnlyList<KavachEvent> ascending, long upToSequence = long.MaxValue)
    {
        var last = ascending.Count - 1;
        while (last >= 0 && ascending[last].Sequence > upToSequence)
        {
            last--;
        }

        if (IsEmpty)
        {
            var all = new KavachEvent[last + 1];
            for (var i = 0; i <= last; i++)
            {
                all[i] = ascending[last - i];
            }

            return all;
        }

        var result = new List<KavachEvent>(256);
        for (var i = last; i >= 0; i--)
        {
            var e = ascending[i];
            if (Matches(e))
            {
                result.Add(e);
            }
        }

        return [.. result];
    }

    /// <summary>How many matching events are newer than <paramref name="sequence"/>.</summary>
    public int CountNewerThan(IReadOnlyList<KavachEvent> ascending, long sequence)
    {
        var count = 0;
        for (var i = ascending.Count - 1; i >= 0 && ascending[i].Sequence > sequence; i--)
        {
            if (Matches(ascending[i]))
            {
                count++;
            }
        }

        return count;
    }

    private static bool Contains(string? value, string part) =>
        value is not null && value.Contains(part, StringComparison.OrdinalIgnoreCase);
}
