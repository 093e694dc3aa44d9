namespace Kavach.Contracts;

/// <summary>
/// The <c>witness</c> of a <see cref="ChainReport"/>: the checkpoints stored in PostgreSQL compared with the witness
/// outside it (docs/integrity.md, "The witness"). Each list holds at most 100 findings; the rest are counted in
/// <see cref="Omitted"/>.
/// </summary>
/// <param name="Configured">Whether a witness is configured; when not, nothing was compared.</param>
/// <param name="Checked">Stored checkpoints in the range that were compared.</param>
/// <param name="MissingFromDatabase">Witnessed checkpoints the database no longer has: deleted there. Verification fails.</param>
/// <param name="MissingFromWitness">Stored checkpoints older than the grace period that the witness does not hold.</param>
/// <param name="Contradictions">Positions where the witness and the database hold different checkpoints. Verification fails.</param>
/// <param name="Abandoned">Witnessed checkpoints of a history a later epoch replaced: listed, not failed.</param>
/// <param name="BeforeWitness">Stored checkpoints in the range signed before the witness's first record of this stream.</param>
/// <param name="Omitted">Findings beyond 100 per kind, not listed.</param>
/// <param name="Error">Why the witness could not be compared (unreachable, refused, too slow); null when it was.</param>
public sealed record ChainWitness(
    bool Configured,
    long Checked,
    IReadOnlyList<WitnessFinding> MissingFromDatabase,
    IReadOnlyList<WitnessFinding> MissingFromWitness,
    IReadOnlyList<WitnessFinding> Contradictions,
    IReadOnlyList<WitnessFinding> Abandoned,
    long BeforeWitness,
    int Omitted,
    string? Error);

/// <summary>One checkpoint position and what is wrong there.</summary>
public sealed record WitnessFinding(long Epoch, long Sequence, string Detail);
