using Kavach.Contracts;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// What verifying a range finds, filled in as the verifier goes; <see cref="ToReport"/> is the answer of
/// <c>GET /api/kavach/events/verify</c>.
/// </summary>
public sealed class ChainVerification
{
    public long From { get; set; }

    public long To { get; set; }

    /// <summary>The stream's head when verification began, and its epoch.</summary>
    public long Head { get; set; }

    public long Epoch { get; set; }

    /// <summary>
    /// True when every event in the range and every checkpoint in it verified, and the witness contradicts none; false
    /// too when a configured witness could not be read (the comparison could not be made).
    /// </summary>
    public bool Valid => Break is null && Witness?.Consistent != false && Witness?.Error is null;

    public long Checked { get; set; }

    /// <summary>Events in the range stored before the chain began (no hash), which cannot be verified.</summary>
    public long Unchained { get; set; }

    /// <summary>The last sequence whose hash verified.</summary>
    public long? VerifiedThrough { get; set; }

    public int CheckpointsVerified { get; set; }

    /// <summary>The newest checkpoint in the range that verified: the chain up to it is signed.</summary>
    public Checkpoint? Checkpoint { get; set; }

    /// <summary>The range starts right after what retention removed, from the hash it kept.</summary>
    public bool StartsAtRetention { get; set; }

    public ChainBreak? Break { get; set; }

    /// <summary>Checkpoints whose chain of predecessors has a hole, or that came later than they should (a signer stopped).</summary>
    public List<CheckpointGap> CheckpointGaps { get; set; } = [];

    /// <summary>What the answering replica's signer is doing: a signer that refuses has seen the stored chain rewritten.</summary>
    public SignerStatus? Signer { get; set; }

    /// <summary>Whether checkpoints were checked with keys pinned in configuration (false: development, keys listed in the database).</summary>
    public bool KeysPinned { get; set; }
    /// <summary>The stored checkpoints compared with the witness outside PostgreSQL (docs/integrity.md, "The witness").</summary>
    public WitnessReport? Witness { get; set; }

    public ChainVerification Broken(long sequence, string kind, string detail)
    {
        Break = new ChainBreak(sequence, kind, detail);
        return this;
    }

    public ChainReport ToReport() => new(From, To, Head, Epoch, Valid, Checked, Unchained, VerifiedThrough, CheckpointsVerified,
        Checkpoint, StartsAtRetention, Break, CheckpointGaps, Signer?.ToReport(), KeysPinned, Witness?.ToReport());
}
