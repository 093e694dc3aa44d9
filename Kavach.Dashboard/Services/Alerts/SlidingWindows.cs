namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// One sliding window per entity (by event time): what fell inside it, its weight (a count or an amount) and when it
/// last raised an alert. Entities quiet for a whole window are dropped now and then, so memory follows the active
/// entities, not every entity ever seen. Not thread-safe.
/// </summary>
internal sealed class SlidingWindows(TimeSpan window)
{
    private const int PruneEvery = 1024;
    private readonly Dictionary<string, EntityWindow> _byEntity = new(StringComparer.Ordinal);
    private long _added;

    public TimeSpan Length => window;

    public int Entities => _byEntity.Count;

    public EntityWindow Add(string entity, DateTimeOffset at, long sequence, decimal weight)
    {
        if (!_byEntity.TryGetValue(entity, out var entry))
        {
            _byEntity[entity] = entry = new EntityWindow();
        }

        entry.Add(at, sequence, weight, window);
        if (++_added % PruneEvery == 0)
        {
            Prune(at);
        }

        return entry;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (entity, entry) in _byEntity.Where(p => p.Value.IsQuietSince(now - window)).ToList())
        {
            _byEntity.Remove(entity);
        }
    }
}

/// <summary>One entity's events inside the window.</summary>
internal sealed class EntityWindow
{
    private readonly Queue<(DateTimeOffset At, long Sequence, decimal Weight)> _inside = new();

    public int Count => _inside.Count;

    public decimal Weight { get; private set; }

    public DateTimeOffset? LastRaisedAt { get; set; }

    public IReadOnlyList<long> Sequences(int max) => _inside.Select(e => e.Sequence).TakeLast(max).ToList();

    private DateTimeOffset _newest;

    public void Add(DateTimeOffset at, long sequence, decimal weight, TimeSpan window)
    {
        _newest = at > _newest ? at : _newest;
        _inside.Enqueue((at, sequence, weight));
        Weight += weight;
        while (_inside.Count > 0 && _inside.Peek().At <= at - window)
        {
            Weight -= _inside.Dequeue().Weight;
        }
    }

    /// <summary>Whether a raise at <paramref name="at"/> would fall within the window of the last one.</summary>
    public bool RaisedWithin(DateTimeOffset at, TimeSpan window) => LastRaisedAt is { } last && at - last < window;

    public bool IsQuietSince(DateTimeOffset since) =>
        _newest <= since && (LastRaisedAt is null || LastRaisedAt <= since);
}
