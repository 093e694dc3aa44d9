namespace Kavach.StreamApi.Persistence;

/// <summary>Where the stream stands in PostgreSQL: its identity, epoch, last assigned sequence and oldest kept one.</summary>
public sealed record StreamHead(Guid StreamId, long Epoch, long EpochStartsAfter, long Last, long? Oldest)
{
    /// <summary>The first sequence a reader can still get: the oldest kept, or the next one when nothing is kept.</summary>
    public long FirstKept => Oldest ?? Last + 1;
}

/// <summary>An epoch and the last sequence it shares with the epoch before it.</summary>
public sealed record EpochStart(long Epoch, long StartsAfter);
