using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// What group commit asks of PostgreSQL: commit a group of emits, and, after a commit whose outcome is unknown, which
/// of its ids are stored. <see cref="EventStore"/> is the real one; the committer's unit tests answer from memory.
/// </summary>
public interface ICommitStore
{
    /// <inheritdoc cref="EventStore.AppendAsync"/>
    Task<(IReadOnlyList<AppendResult> Results, CommitTiming Timing)> AppendAsync(
        IReadOnlyList<EmitBatch> group, StreamPosition delivered, TimeSpan revocationKeep, CancellationToken cancellationToken);

    /// <inheritdoc cref="EventStore.FindCommittedAsync"/>
    Task<List<(StoredEvent Event, string? EmittedBy)>> FindCommittedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken);
}
