using Kavach.Contracts;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// Compares the checkpoints stored in a range with what the witness recorded in it: the rule behind the
/// <c>witness</c> part of verification, apart from any I/O.
/// </summary>
public static class WitnessFindings
{
    /// <param name="stored">The database's checkpoints in the range (one per position).</param>
    /// <param name="witnessed">The witness's records in the range, in (epoch, sequence) order; a position recorded more than once (an overwrite) appears more than once.</param>
    /// <param name="epochs">The epochs the database lists: where a restore began a new history.</param>
    /// <param name="firstWitnessedAt">When the witness's first record of the stream was signed; null when it holds none.</param>
    public static WitnessReport Compare(IReadOnlyList<SignedCheckpoint> stored, IReadOnlyList<SignedCheckpoint> witnessed, IReadOnlyList<EpochStart> epochs,
        DateTimeOffset? firstWitnessedAt, DateTimeOffset now, TimeSpan grace)
    {
        var report = new WitnessReport { Checked = stored.Count };
        var storedAt = stored.ToDictionary(c => (c.Epoch, c.Sequence));
        foreach (var records in witnessed.GroupBy(c => (c.Epoch, c.Sequence)))
        {
            var (epoch, sequence) = records.Key;
            var first = records.First();
            if (storedAt.TryGetValue(records.Key, out var kept))
            {
                if (records.FirstOrDefault(r => !WitnessRecord.Same(r, kept)) is { } other)
                {
                    report.Add(report.Contradictions, new WitnessFinding(epoch, sequence, records.Count() > 1
                        ? $"The witness holds {records.Count()} different records here (it was written over); the database's checkpoint was signed at {Signed(kept)}."
                        : $"The witness recorded a checkpoint signed at {Signed(other)} with hash {Hex(other)}; the database holds one signed at {Signed(kept)} with hash {Hex(kept)}."));
                }
            }
            else if (records.Any(r => !WitnessRecord.Same(r, first)))
            {
                report.Add(report.Contradictions, new WitnessFinding(epoch, sequence,
                    $"The witness holds {records.Count()} different records here (it was written over), and the database none."));
            }
            else if (epochs.FirstOrDefault(e => e.Epoch > epoch && e.StartsAfter < sequence) is { } restore)
            {
                report.Add(report.Abandoned, new WitnessFinding(epoch, sequence,
                    $"Signed at {Signed(first)}; epoch {restore.Epoch} began after #{restore.StartsAfter} (a restore), leaving this history behind."));
            }
            else
            {
                report.Add(report.MissingFromDatabase, new WitnessFinding(epoch, sequence,
                    $"The witness recorded a checkpoint signed at {Signed(first)} here; the database no longer has it: it was deleted."));
            }
        }

        var recorded = witnessed.Select(c => (c.Epoch, c.Sequence)).ToHashSet();
        foreach (var checkpoint in stored.Where(c => !recorded.Contains((c.Epoch, c.Sequence))))
        {
            if (firstWitnessedAt is { } since && checkpoint.SignedAt < since)
            {
                report.BeforeWitness++;
            }
            else if (now - checkpoint.SignedAt >= grace)
            {
                report.Add(report.MissingFromWitness, new WitnessFinding(checkpoint.Epoch, checkpoint.Sequence,
                    $"Signed at {Signed(checkpoint)}, more than {grace} ago, and not in the witness: withheld from it, or never witnessed."));
            }
        }

        return report;
    }

    private static string Signed(SignedCheckpoint checkpoint) => checkpoint.ToView().SignedAt;

    private static string Hex(SignedCheckpoint checkpoint) => Convert.ToHexStringLower(checkpoint.Hash);
}
