using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Integrity;

/// <summary>
/// The stored checkpoints compared with the witness outside PostgreSQL, as the console raises them: a contradiction, a
/// witnessed checkpoint deleted from the database, or a stored one the witness lacks past its grace period is a break.
/// </summary>
public static class WitnessBreaks
{
    /// <summary>
    /// The first finding, as a break: contradictions first, then deletions from the database, then what the witness lacks,
    /// then a witness that could not be read (the comparison was not made).
    /// </summary>
    public static ChainBreak? First(ChainWitness witness, long head) =>
        First(witness.Contradictions, "witness-contradiction") ?? First(witness.MissingFromDatabase, "witness-deleted")
        ?? First(witness.MissingFromWitness, "witness-missing")
        ?? (witness.Error is { } error ? new ChainBreak(head, "witness-unreachable", $"The witness could not be compared: {error}") : null);

    private static ChainBreak? First(IReadOnlyList<WitnessFinding>? findings, string kind) =>
        findings is [var first, ..] ? new ChainBreak(first.Sequence, kind, $"Checkpoint {first.Epoch}:{first.Sequence}: {first.Detail}") : null;
}
