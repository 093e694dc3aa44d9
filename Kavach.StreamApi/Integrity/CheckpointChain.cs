using Kavach.Contracts;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// The checkpoints' own chain: each version 2 checkpoint names its predecessor (epoch, sequence, and the SHA-256 of its
/// signed payload). A predecessor that is not stored was deleted; one whose digest differs was changed — both breaks.
/// Events that waited longer than <c>MaxCheckpointGap</c> for a checkpoint (a deleted one at the end, or a signer that
/// stopped) are reported as gaps.
/// </summary>
public static class CheckpointChain
{
    public static async Task<ChainVerification> VerifyAsync(ChainSnapshot snapshot, ChainHead head, ChainVerification report, TrustedKeys keys,
        TimeSpan maxGap, CancellationToken cancellationToken)
    {
        var stored = await snapshot.ReadCheckpointsAsync(head.StreamId, Math.Max(0, report.From - 1), long.MaxValue, cancellationToken);
        var byPosition = stored.ToDictionary(c => (c.Epoch, c.Sequence));
        var waitedFrom = new List<(SignedCheckpoint Checkpoint, long FirstAfter)>();
        foreach (var checkpoint in stored.Where(c => c.Links is { PreviousSequence: > 0 }))
        {
            var links = checkpoint.Links!;
            var previous = byPosition.GetValueOrDefault((links.PreviousEpoch, links.PreviousSequence))
                ?? await ReadOneAsync(snapshot, head.StreamId, links.PreviousEpoch, links.PreviousSequence, cancellationToken);
            if (previous is null)
            {
                return report.Broken(links.PreviousSequence, "missing",
                    $"Checkpoint #{checkpoint.Sequence} was signed after checkpoint {links.PreviousEpoch}:{links.PreviousSequence}, which is not stored: it was deleted.");
            }

            if (!previous.Digest().AsSpan().SequenceEqual(links.PreviousDigest))
            {
                return report.Broken(previous.Sequence, "altered",
                    $"Checkpoint #{previous.Sequence} is not the one checkpoint #{checkpoint.Sequence} was signed after: it was changed or replaced.");
            }

            if (keys.Verifies(checkpoint) && checkpoint.Sequence > previous.Sequence)
            {
                waitedFrom.Add((checkpoint, previous.Sequence + 1));
            }
        }

        // The events after the newest checkpoint have waited since they were committed.
        var newest = stored.Where(keys.Verifies).MaxBy(c => (c.Epoch, c.Sequence));
        var committed = await snapshot.ReadCommittedAtAsync([.. waitedFrom.Select(w => w.FirstAfter), (newest?.Sequence ?? 0) + 1], cancellationToken);
        foreach (var (checkpoint, firstAfter) in waitedFrom)
        {
            if (committed.TryGetValue(firstAfter, out var at) && checkpoint.SignedAt - at > maxGap)
            {
                report.CheckpointGaps.Add(new CheckpointGap(firstAfter - 1, checkpoint.Sequence,
                    $"Event {firstAfter} waited {(checkpoint.SignedAt - at).TotalSeconds:0} s for checkpoint #{checkpoint.Sequence} (at most {maxGap.TotalSeconds:0} s)."));
            }
        }

        if (newest is not null && head.Sequence > newest.Sequence && committed.TryGetValue(newest.Sequence + 1, out var unsigned)
            && DateTimeOffset.UtcNow - unsigned > maxGap)
        {
            report.CheckpointGaps.Add(new CheckpointGap(newest.Sequence, head.Sequence,
                $"Events after checkpoint #{newest.Sequence} have waited {(DateTimeOffset.UtcNow - unsigned).TotalSeconds:0} s for a checkpoint " +
                $"(at most {maxGap.TotalSeconds:0} s): the newest checkpoints were deleted, or no replica signs."));
        }

        return report;
    }

    private static async Task<SignedCheckpoint?> ReadOneAsync(ChainSnapshot snapshot, Guid streamId, long epoch, long sequence, CancellationToken cancellationToken) =>
        (await snapshot.ReadCheckpointsAsync(streamId, sequence - 1, sequence, cancellationToken)).FirstOrDefault(c => c.Epoch == epoch);
}
