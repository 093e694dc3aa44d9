using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// COMMIT failed in flight, so a group's events may or may not be stored. Waits until no transaction can still commit
/// them, then looks, and answers each emit of the group as the commit would have: stored (with their sequences),
/// refused (another emitter's events hold its ids), not stored (<see cref="CommitNotStoredException"/>) — or, when the
/// database cannot be asked, still unknown (<see cref="AmbiguousCommitException"/>).
/// </summary>
internal sealed class AmbiguousCommitResolver(ICommitStore store, StreamMetrics metrics, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan OutcomeCheckTimeout = TimeSpan.FromSeconds(6);

    /// <summary>One answer per emit of <paramref name="group"/>: its result, or the exception its caller gets.</summary>
    public async Task<IReadOnlyList<(AppendResult? Result, Exception? Failure)>> ResolveAsync(
        IReadOnlyList<EmitBatch> group, long epoch, AmbiguousCommitException ambiguous)
    {
        List<(StoredEvent Event, string? EmittedBy)> found;
        try
        {
            using var timeout = new CancellationTokenSource(OutcomeCheckTimeout, time);
            found = await store.FindCommittedAsync([.. group.SelectMany(b => b.Events).Select(e => e.Id).Distinct(StringComparer.Ordinal)],
                timeout.Token);
        }
        catch (Exception e) when (DatabaseFailures.IsFailure(e) || e is OperationCanceledException)
        {
            logger.LogWarning(ambiguous, "A commit of {Emits} emits failed in flight and its outcome could not be checked", group.Count);
            return [.. group.Select(b =>
            {
                metrics.AmbiguousCommit("unknown");
                return ((AppendResult?)null, (Exception?)new AmbiguousCommitException(IdsOf(b), e));
            })];
        }

        var byId = found.ToDictionary(f => f.Event.Id, StringComparer.Ordinal);
        return [.. group.Select(b => Answer(b, byId, epoch, ambiguous))];
    }

    private (AppendResult?, Exception?) Answer(EmitBatch emit, Dictionary<string, (StoredEvent Event, string? EmittedBy)> found, long epoch,
        AmbiguousCommitException ambiguous)
    {
        var ids = IdsOf(emit);
        var mine = ids.Where(found.ContainsKey).Select(id => found[id]).ToList();

        // Another emitter's event under one of these ids: the commit refused this emit whole, as it would have said.
        if (mine.Where(f => f.EmittedBy != emit.Emitter.Id).Select(f => f.Event.Id).ToList() is { Count: > 0 } taken)
        {
            metrics.AmbiguousCommit("not_stored");
            return (new AppendResult([], [], epoch, taken), null);
        }

        if (mine.Count < ids.Count)
        {
            metrics.AmbiguousCommit("not_stored");
            return (null, new CommitNotStoredException(ids, ambiguous));
        }

        metrics.AmbiguousCommit("stored");
        var stored = mine.Select(f => f.Event).DistinctBy(e => e.Sequence).OrderBy(e => e.Sequence).ToList();
        return (new AppendResult([.. mine.Select(f => new EmittedEvent(f.Event.Id, f.Event.Sequence, f.Event.Timestamp))], stored, epoch, []), null);
    }

    private static List<string> IdsOf(EmitBatch emit) => [.. emit.Events.Select(e => e.Id)];
}
