namespace Kavach.Dashboard.Services.History;

/// <summary>
/// How far one whole-range export has come, for the page that started it: events written, and an estimate of the total
/// from how far through the time range the last written event is (events come in sequence order, which follows time
/// closely), so it needs no count of the range before the first byte goes out.
/// </summary>
public sealed class ExportProgress(string id, string format, DateTimeOffset rangeStart, DateTimeOffset rangeEnd, DateTimeOffset startedAt)
{
    private long _written;
    private long _reachedTicks = rangeStart.UtcTicks;

    public string Id { get; } = id;

    public string Format { get; } = format;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public long Written => Interlocked.Read(ref _written);

    public ExportState State { get; private set; } = ExportState.Running;

    public string? Error { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>The estimated total while running; exactly what was written once done.</summary>
    public long? EstimatedTotal => State == ExportState.Done
        ? Written
        : Estimate(Written, rangeStart, rangeEnd, new DateTimeOffset(Interlocked.Read(ref _reachedTicks), TimeSpan.Zero));

    /// <summary>A page of events was written; <paramref name="reached"/> is the last one's timestamp.</summary>
    public void Wrote(int count, DateTimeOffset reached)
    {
        Interlocked.Add(ref _written, count);
        Interlocked.Exchange(ref _reachedTicks, reached.UtcTicks);
    }

    public void Finish(DateTimeOffset at)
    {
        State = ExportState.Done;
        FinishedAt = at;
    }

    public void Fail(string error, DateTimeOffset at)
    {
        Error = error;
        State = ExportState.Failed;
        FinishedAt = at;
    }

    /// <summary>
    /// <paramref name="written"/> scaled by the share of the range covered up to <paramref name="reached"/>; null before
    /// anything was written or while that share is too small to mean anything. Never below what was written.
    /// </summary>
    public static long? Estimate(long written, DateTimeOffset rangeStart, DateTimeOffset rangeEnd, DateTimeOffset reached)
    {
        var span = (rangeEnd - rangeStart).Ticks;
        if (written == 0 || span <= 0)
        {
            return null;
        }

        var share = Math.Clamp((reached - rangeStart).Ticks / (double)span, 0, 1);
        return share < 0.001 ? null : Math.Max(written, (long)Math.Round(written / share));
    }
}

public enum ExportState
{
    Running,
    Done,
    Failed,
}
