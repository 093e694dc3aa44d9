using System.Text.Json.Serialization;
using Kavach.Contracts;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// What verification found comparing the checkpoints stored in PostgreSQL with the witness, over the verified range
/// (the <c>witness</c> part of <c>GET /api/kavach/events/verify</c>).
/// </summary>
public sealed class WitnessReport
{
    /// <summary>Findings listed per kind at most; the rest are counted in <see cref="Omitted"/>.</summary>
    public const int ListLimit = 100;

    public static WitnessReport NotConfigured => new() { Configured = false };

    public bool Configured { get; init; } = true;

    /// <summary>Stored checkpoints in the range that were compared with the witness.</summary>
    public long Checked { get; set; }

    /// <summary>Witnessed checkpoints the database no longer has: deleted there. Verification fails.</summary>
    public List<WitnessFinding> MissingFromDatabase { get; } = [];

    /// <summary>Stored checkpoints older than the grace period that the witness does not hold (withheld, or not witnessed yet).</summary>
    public List<WitnessFinding> MissingFromWitness { get; } = [];

    /// <summary>Positions where the witness and the database hold different checkpoints. Verification fails.</summary>
    public List<WitnessFinding> Contradictions { get; } = [];

    /// <summary>
    /// Witnessed checkpoints of a history a later epoch replaced (a restore to before them): not in the database, rightly
    /// so if the restore was one. Listed, not failed.
    /// </summary>
    public List<WitnessFinding> Abandoned { get; } = [];

    /// <summary>Stored checkpoints in the range signed before the witness's first record of this stream.</summary>
    public long BeforeWitness { get; set; }

    /// <summary>Findings beyond <see cref="ListLimit"/> per kind, not listed.</summary>
    public int Omitted { get; set; }

    /// <summary>Why the witness could not be compared (unreachable, refused, too slow); null when it was.</summary>
    public string? Error { get; set; }

    /// <summary>False on a contradiction or a checkpoint deleted from the database.</summary>
    [JsonIgnore]
    public bool Consistent => Contradictions.Count == 0 && MissingFromDatabase.Count == 0;

    /// <summary>As <c>/verify</c> writes it.</summary>
    public ChainWitness ToReport() => new(Configured, Checked, MissingFromDatabase, MissingFromWitness, Contradictions, Abandoned,
        BeforeWitness, Omitted, Error);

    internal void Add(List<WitnessFinding> findings, WitnessFinding finding)
    {
        if (findings.Count < ListLimit)
        {
            findings.Add(finding);
        }
        else
        {
            Omitted++;
        }
    }
}
