using System.Globalization;
using System.Text;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// A signed statement that the chain's hash at <see cref="Sequence"/> of <see cref="Epoch"/> was <see cref="Hash"/>
/// at <see cref="SignedAt"/>. What is signed is <see cref="Payload"/>: five lines of UTF-8 text.
/// </summary>
public sealed record Checkpoint(
    Guid StreamId,
    long Epoch,
    long Sequence,
    byte[] Hash,
    DateTimeOffset SignedAt,
    string KeyId,
    byte[] Signature)
{
    public const string Algorithm = "ES256";

    /// <summary><c>kavach-checkpoint/v1 \n stream id \n epoch \n sequence \n hash (hex) \n signed at (UTC, µs)</c>.</summary>
    public static byte[] Payload(Guid streamId, long epoch, long sequence, ReadOnlySpan<byte> hash, DateTimeOffset signedAt) =>
        Encoding.UTF8.GetBytes(string.Join('\n',
            "kavach-checkpoint/v1",
            streamId.ToString("D"),
            epoch.ToString(CultureInfo.InvariantCulture),
            sequence.ToString(CultureInfo.InvariantCulture),
            Convert.ToHexStringLower(hash),
            signedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)));

    public byte[] Payload() => Payload(StreamId, Epoch, Sequence, Hash, SignedAt);

    /// <summary>As the API and the stream show it.</summary>
    public CheckpointView ToView() => new(StreamId, Epoch, Sequence, Convert.ToHexStringLower(Hash),
        SignedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), KeyId, Algorithm,
        Convert.ToBase64String(Signature));
}

/// <summary>A checkpoint on the wire; <c>signedAt</c> is written exactly as it is signed.</summary>
public sealed record CheckpointView(Guid StreamId, long Epoch, long Sequence, string Hash, string SignedAt, string KeyId,
    string Algorithm, string Signature);

/// <summary>A public key that verifies checkpoints: SubjectPublicKeyInfo as PEM.</summary>
public sealed record CheckpointKeyView(string KeyId, string Algorithm, string PublicKey, DateTimeOffset AddedAt);
