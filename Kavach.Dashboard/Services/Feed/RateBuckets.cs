using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Feed;

/// <summary>Events per minute by type for a sliding window of whole minutes (by event timestamp).</summary>
public sealed class RateBuckets(int minutes = 15)
{
    private readonly Dictionary<long, int[]> _buckets = [];

    public int Minutes { get; } = minutes;

    public void Add(string type, DateTimeOffset timestamp)
    {
        var index = EventTypes.IndexOf(type);
        if (index < 0)
        {
            return;
        }

        var minute = timestamp.ToUnixTimeSeconds() / 60;
        if (!_buckets.TryGetValue(minute, out var counts))
        {
            counts = new int[EventTypes.All.Count];
            _buckets[minute] = counts;
            Trim(minute);
        }

        counts[index]++;
    }

    /// <summary>The last <see cref="Minutes"/> minutes up to and including the one holding <paramref name="now"/>, oldest first.</summary>
    public RateSeries Series(DateTimeOffset now)
    {
        var last = now.ToUnixTimeSeconds() / 60;
        var slots = new RateSlot[Minutes];
        for (var i = 0; i < Minutes; i++)
        {
            var minute = last - Minutes + 1 + i;
            var counts = _buckets.TryGetValue(minute, out var c) ? (int[])c.Clone() : new int[EventTypes.All.Count];
            slots[i] = new RateSlot(DateTimeOffset.FromUnixTimeSeconds(minute * 60), counts);
        }

        return new RateSeries(slots);
    }

    private void Trim(long newest)
    {
        // Keep a little slack for events that arrive with slightly older timestamps.
        var oldest = newest - Minutes - 2;
        foreach (var key in _buckets.Keys.Where(k => k < oldest).ToList())
        {
            _buckets.Remove(key);
        }
    }
}

public sealed record RateSlot(DateTimeOffset Minute, int[] CountsByType)
{
    public int Total => CountsByType.Sum();
}

public sealed record RateSeries(IReadOnlyList<RateSlot> Slots)
{
    public int Max => Slots.Count == 0 ? 0 : Slots.Max(s => s.Total);
}
