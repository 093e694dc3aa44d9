using System.Text.Json.Serialization;

namespace Kavach.Contracts;

/// <summary>
/// The answer of <c>GET /api/kavach/events/verify</c> (docs/integrity.md): the hash chain recomputed over
/// <see cref="From"/>..<see cref="To"/> and the signed checkpoints in that range checked. <see cref="Valid"/> is false
/// on a <see cref="Break"/>, on a witness that contradicts the database, and when a configured witness could not be read.
/// </summary>
/// <param name="From">The first sequence verified.</param>
/// <param name="To">The last sequence verified.</param>
/// <param name="Head">The stream's head when verification began.</param>
/// <param name="Epoch">The head's epoch.</param>
/// <param name="Valid">Every event and checkpoint in the range verified, and the witness was compared and contradicts none.</param>
/// <param name="Checked">Events whose hash was recomputed.</param>
/// <param name="Unchained">Events in the range stored before the chain began (no hash), which cannot be verified.</param>
/// <param name="VerifiedThrough">The last sequence whose hash verified.</param>
/// <param name="CheckpointsVerified">Checkpoints in the range whose signature and link verified.</param>
/// <param name="Checkpoint">The newest checkpoint in the range that verified: the chain up to it is signed.</param>
/// <param name="StartsAtRetention">The range starts right after what retention removed, from the hash it kept.</param>
/// <param name="Break">Where the chain first failed to verify; null when it did not.</param>
/// <param name="CheckpointGaps">Checkpoints whose chain of predecessors has a hole, or that came later than they should.</param>
/// <param name="Signer">What the answering replica's signer is doing.</param>
/// <param name="KeysPinned">Whether checkpoints were checked with keys pinned in configuration (false: development).</param>
/// <param name="Witness">The stored checkpoints compared with the witness outside PostgreSQL.</param>
public sealed record ChainReport(
    long From,
    long To,
    long Head,
    long Epoch,
    bool Valid,
    long Checked,
    long Unchained,
    long? VerifiedThrough,
    int CheckpointsVerified,
    Checkpoint? Checkpoint,
    bool StartsAtRetention,
    ChainBreak? Break,
    IReadOnlyList<CheckpointGap> CheckpointGaps,
    ChainSigner? Signer,
    bool KeysPinned,
    ChainWitness? Witness);

/// <summary>
/// Where the chain first failed to verify, and how: <see cref="Kind"/> is <c>altered</c>, <c>inserted</c>,
/// <c>missing</c>, <c>rewritten</c>, … (docs/integrity.md, "What /verify reports").
/// </summary>
public sealed record ChainBreak(long Sequence, string Kind, string Detail);

/// <summary>Between two checkpoints (by sequence): what is wrong with the link or the time between them.</summary>
public sealed record CheckpointGap(long AfterSequence, long Sequence, string Detail);

/// <summary>
/// What the answering replica's checkpoint signer does (<see cref="State"/> is one of <see cref="SignerStates"/>); one
/// that is refusing saw the stored chain rewritten.
/// </summary>
public sealed record ChainSigner(string State, string? Reason, Checkpoint? LastSigned, DateTimeOffset? Since = null)
{
    /// <summary>The signer saw the stored chain differ from the one it delivered or trusts.</summary>
    [JsonIgnore]
    public bool Refusing => string.Equals(State, SignerStates.Refusing, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The <c>state</c> of <see cref="ChainSigner"/>.</summary>
public static class SignerStates
{
    /// <summary>Not anchored yet, or not caught up with the head.</summary>
    public const string Starting = "starting";

    /// <summary>The stored chain is the delivered one: checkpoints are signed as they fall due.</summary>
    public const string Signing = "signing";

    /// <summary>The stored chain differs from the one delivered or trusted: nothing is signed until an operator looks.</summary>
    public const string Refusing = "refusing";
}
