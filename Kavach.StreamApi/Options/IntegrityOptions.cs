using System.ComponentModel.DataAnnotations;

namespace Kavach.StreamApi.Options;

/// <summary>
/// Settings under <c>Kavach:Integrity</c>: the signed checkpoints of the hash chain (docs/integrity.md). The keys are
/// checked at start by <c>Integrity.IntegrityKeysValidation</c>, beside the code that loads them.
/// </summary>
public sealed class IntegrityOptions : IValidatableObject
{
    public const string Section = "Kavach:Integrity";

    /// <summary>
    /// The ECDSA P-256 private key that signs checkpoints, as PEM (PKCS#8 <c>BEGIN PRIVATE KEY</c> or SEC1
    /// <c>BEGIN EC PRIVATE KEY</c>). Empty: each replica makes a key of its own at start, which dies with the process
    /// (its public key stays listed, so what it signed stays verifiable); fine for development only.
    /// </summary>
    public string? CheckpointKey { get; set; }

    /// <summary>
    /// Public keys (PEM, P-256) whose checkpoints every verifier here trusts: the keys this deployment signs with, past
    /// and present. The replica's own <see cref="CheckpointKey"/> is always trusted too. Keys listed in the database
    /// only help find these by id (docs/integrity.md, "Keys").
    /// </summary>
    public List<string> PinnedKeys { get; set; } = [];

    /// <summary>
    /// The longest events may stay unsigned: a verifier reports two consecutive checkpoints between which the first event
    /// after the older one waited longer than this for a checkpoint (one deleted, or a signer that stopped).
    /// </summary>
    public TimeSpan MaxCheckpointGap { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A checkpoint is signed once this many events were committed since the last one…</summary>
    [Range(1, 10_000_000)]
    public int CheckpointEvery { get; set; } = 1000;

    /// <summary>…or this long after the last one, if anything was committed since.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each replica looks for new commits and new checkpoints.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most events one <c>GET /api/kavach/events/verify</c> recomputes.</summary>
    [Range(1, 100_000_000)]
    public int MaxVerifyRange { get; set; } = 1_000_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CheckpointInterval <= TimeSpan.Zero || PollInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("CheckpointInterval and PollInterval must be positive.",
                [nameof(CheckpointInterval), nameof(PollInterval)]);
        }

        if (MaxCheckpointGap < 2 * CheckpointInterval)
        {
            yield return new ValidationResult(
                $"{Section}:MaxCheckpointGap ({MaxCheckpointGap}) must be at least twice {Section}:CheckpointInterval ({CheckpointInterval}).",
                [nameof(MaxCheckpointGap)]);
        }
    }
}
