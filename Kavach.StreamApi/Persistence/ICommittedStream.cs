using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// The stream as PostgreSQL holds it, as much of it as the hub reads: the head, committed events after a sequence, the
/// ids at a range of sequences, the epochs, and beginning a new one. <see cref="EventStore"/> is the real one; the
/// hub's unit tests answer from memory.
/// </summary>
public interface ICommittedStream
{
    Task<StreamHead> ReadHeadAsync(CancellationToken cancellationToken);

    /// <summary>Events after <see cref="EventQuery.After"/>, oldest first, up to <see cref="EventQuery.UpTo"/> and <see cref="EventQuery.Limit"/>.</summary>
    Task<List<StoredEvent>> ReadAsync(EventQuery query, CancellationToken cancellationToken, bool fromHistoryPool = false);

    Task<Dictionary<long, string>> ReadIdsAsync(long from, long to, CancellationToken cancellationToken);

    Task<List<EpochStart>> ReadEpochsAsync(CancellationToken cancellationToken);

    Task BeginEpochAsync(long seenEpoch, long atLeast, long startsAfter, string reason, CancellationToken cancellationToken);
}
