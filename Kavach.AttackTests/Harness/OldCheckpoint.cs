using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// A checkpoint as if it had been signed long ago, with the key the replicas were given: what a stream that really ran
/// for the retention period would have. Retention removes events only up to such a checkpoint, so attacks that age events
/// (rather than wait a retention period) age a checkpoint with them.
/// </summary>
public static class OldCheckpoint
{
    /// <summary>The key every replica of a database given <see cref="Settings"/> signs with.</summary>
    public static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>
    /// The replicas trust <see cref="Key"/>, and sign nothing themselves while the attack runs (their signer's first turn
    /// comes an hour after start), so the old checkpoint is the one retention finds.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Kavach__Integrity__CheckpointKey"] = Key.ExportPkcs8PrivateKeyPem(),
        ["Kavach__Integrity__PollInterval"] = "01:00:00",
    };

    /// <summary>Signs (version 1) and stores a checkpoint at <paramref name="sequence"/>, dated <paramref name="age"/> ago.</summary>
    public static async Task AddAsync(OwnDatabase db, long sequence, TimeSpan age)
    {
        var streamId = await db.ScalarAsync<Guid>("SELECT stream_id FROM kavach_stream_sequence");
        var epoch = await db.ScalarAsync<long>("SELECT epoch FROM kavach_stream_sequence");
        var hash = await db.ScalarAsync<byte[]>("SELECT hash FROM kavach_stream_events WHERE sequence = $1", sequence);
        var now = DateTimeOffset.UtcNow - age;
        var signedAt = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        var payload = Encoding.UTF8.GetBytes(string.Join('\n', "kavach-checkpoint/v1", streamId.ToString("D"),
            epoch.ToString(CultureInfo.InvariantCulture), sequence.ToString(CultureInfo.InvariantCulture), Convert.ToHexStringLower(hash),
            signedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)));
        var keyId = Convert.ToHexStringLower(SHA256.HashData(Key.ExportSubjectPublicKeyInfo()).AsSpan(0, 16));
        var signature = Key.SignData(payload, HashAlgorithmName.SHA256);
        await db.ExecuteAsync(
            "INSERT INTO kavach_checkpoints (epoch, sequence, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            epoch, sequence, hash, signedAt.UtcDateTime, keyId, signature);

        // The witness recorded it when it was signed, as it records every checkpoint: retention goes only up to witnessed ones.
        var checkpoint = new Kavach.StreamApi.Integrity.SignedCheckpoint(streamId, epoch, sequence, hash, signedAt, keyId, signature);
        var witness = new Azure.Storage.Blobs.BlobContainerClient(AttackSuite.Cluster.Witness.ConnectionString, "kavach-witness");
        await witness.CreateIfNotExistsAsync();
        await witness.GetBlobClient(Kavach.StreamApi.Integrity.Witness.WitnessRecord.BlobName(streamId, epoch, sequence))
            .UploadAsync(BinaryData.FromBytes(Kavach.StreamApi.Integrity.Witness.WitnessRecord.Serialize(checkpoint)), overwrite: false);
    }
}
