using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kavach.Contracts;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// A signed statement that the chain's hash at <see cref="Sequence"/> of <see cref="Epoch"/> was <see cref="Hash"/>
/// at <see cref="SignedAt"/>. Version 2 (<see cref="Links"/> set) also signs the Merkle tree head over the log up to
/// there and the previous checkpoint, so checkpoints form a chain of their own. What is signed is <see cref="Payload"/>:
/// lines of UTF-8 text (docs/integrity.md, "Checkpoints").
/// </summary>
public sealed record SignedCheckpoint(
    Guid StreamId,
    long Epoch,
    long Sequence,
    byte[] Hash,
    DateTimeOffset SignedAt,
    string KeyId,
    byte[] Signature,
    CheckpointLinks? Links = null)
{
    public const string Algorithm = "ES256";

    /// <summary>What a version 2 checkpoint's predecessor is when it has none: the first checkpoint of a stream.</summary>
    public static readonly byte[] NoDigest = new byte[32];

    public int Version => Links is null ? 1 : 2;

    /// <summary>
    /// v1: <c>kavach-checkpoint/v1 \n stream id \n epoch \n sequence \n hash (hex) \n signed at (UTC, µs)</c>.
    /// v2: <c>kavach-checkpoint/v2 \n stream id \n epoch \n sequence \n hash \n tree size \n tree root \n previous epoch \n
    /// previous sequence \n previous digest \n signed at</c> (hex for hashes; 0, 0 and 64 zeros when there is no previous).
    /// </summary>
    public static byte[] Payload(Guid streamId, long epoch, long sequence, ReadOnlySpan<byte> hash, DateTimeOffset signedAt, CheckpointLinks? links = null) =>
        Encoding.UTF8.GetBytes(links is null
            ? string.Join('\n',
                "kavach-checkpoint/v1",
                streamId.ToString("D"),
                Number(epoch),
                Number(sequence),
                Convert.ToHexStringLower(hash),
                Time(signedAt))
            : string.Join('\n',
                "kavach-checkpoint/v2",
                streamId.ToString("D"),
                Number(epoch),
                Number(sequence),
                Convert.ToHexStringLower(hash),
                Number(links.TreeSize),
                Convert.ToHexStringLower(links.TreeRoot),
                Number(links.PreviousEpoch),
                Number(links.PreviousSequence),
                Convert.ToHexStringLower(links.PreviousDigest),
                Time(signedAt)));

    public byte[] Payload() => Payload(StreamId, Epoch, Sequence, Hash, SignedAt, Links);

    /// <summary>
    /// Whether the checkpoint is still about the current history: no later epoch began before its sequence (a restore
    /// that went back past it replaced what it signed).
    /// </summary>
    public bool IsCurrentIn(IEnumerable<Persistence.EpochStart> epochs) => !epochs.Any(e => e.Epoch > Epoch && e.StartsAfter < Sequence);

    /// <summary>SHA-256 of the payload: what the next checkpoint names as its previous one.</summary>
    public byte[] Digest() => SHA256.HashData(Payload());

    /// <summary>As the API, the stream and the witness show it.</summary>
    public Checkpoint ToView() => new(StreamId, Epoch, Sequence, Convert.ToHexStringLower(Hash), Time(SignedAt), KeyId, Algorithm,
        Convert.ToBase64String(Signature))
    {
        Version = Version,
        TreeSize = Links?.TreeSize,
        TreeRoot = Links is null ? null : Convert.ToHexStringLower(Links.TreeRoot),
        PreviousEpoch = Links?.PreviousEpoch,
        PreviousSequence = Links?.PreviousSequence,
        PreviousDigest = Links is null ? null : Convert.ToHexStringLower(Links.PreviousDigest),
    };

    /// <summary>The checkpoint a view describes (what a witness or an auditor's saved file holds); null when it is malformed.</summary>
    public static SignedCheckpoint? FromView(Checkpoint view)
    {
        try
        {
            var links = view.Version >= 2
                ? new CheckpointLinks(view.TreeSize!.Value, Convert.FromHexString(view.TreeRoot!), view.PreviousEpoch!.Value,
                    view.PreviousSequence!.Value, Convert.FromHexString(view.PreviousDigest!))
                : null;
            return new SignedCheckpoint(view.StreamId, view.Epoch, view.Sequence, Convert.FromHexString(view.Hash),
                DateTimeOffset.ParseExact(view.SignedAt, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                view.KeyId, Convert.FromBase64String(view.Signature), links);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentNullException)
        {
            return null;
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// What a version 2 checkpoint signs beyond the chain's head: the RFC 9162 Merkle tree head over the log's first
/// <see cref="TreeSize"/> events (docs/integrity.md, "The Merkle tree"), and the checkpoint before it.
/// </summary>
public sealed record CheckpointLinks(long TreeSize, byte[] TreeRoot, long PreviousEpoch, long PreviousSequence, byte[] PreviousDigest);

/// <summary>A public key that verifies checkpoints: SubjectPublicKeyInfo as PEM.</summary>
public sealed record CheckpointKeyView(string KeyId, string Algorithm, string PublicKey, DateTimeOffset AddedAt);
