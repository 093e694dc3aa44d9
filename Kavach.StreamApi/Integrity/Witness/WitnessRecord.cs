using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kavach.Contracts;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// A checkpoint as a witness holds it: its <see cref="Checkpoint"/> as one line of compact JSON (camelCase, v1
/// checkpoints without the v2 fields), and where a Blob witness puts it.
/// </summary>
public static class WitnessRecord
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Serialize(SignedCheckpoint checkpoint) => JsonSerializer.SerializeToUtf8Bytes(checkpoint.ToView(), Json);

    /// <summary>The checkpoint a record holds; null when it is not one.</summary>
    public static SignedCheckpoint? Parse(ReadOnlySpan<byte> record)
    {
        try
        {
            return JsonSerializer.Deserialize<Checkpoint>(record, Json) is { } view ? SignedCheckpoint.FromView(view) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The same signed statement: the same payload (stream, position, hash, time, and the v2 links), key and signature.
    /// Two different checkpoints at one position contradict each other.
    /// </summary>
    public static bool Same(SignedCheckpoint a, SignedCheckpoint b) =>
        a.Payload().AsSpan().SequenceEqual(b.Payload())
        && string.Equals(a.KeyId, b.KeyId, StringComparison.Ordinal)
        && a.Signature.AsSpan().SequenceEqual(b.Signature);

    /// <summary>
    /// <c>{streamId}/{epoch:D19}/{sequence / 10^6:D13}/{sequence:D19}.json</c>: names sort as (epoch, sequence), and the
    /// million-sequence folder lets a reader start near a sequence without listing the whole epoch.
    /// </summary>
    public static string BlobName(Guid streamId, long epoch, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{EpochPrefix(streamId, epoch)}{Bucket(sequence):D13}/{sequence:D19}.json");

    public static string StreamPrefix(Guid streamId) => streamId.ToString("D") + "/";

    public static string EpochPrefix(Guid streamId, long epoch) =>
        string.Create(CultureInfo.InvariantCulture, $"{StreamPrefix(streamId)}{epoch:D19}/");

    public static long Bucket(long sequence) => sequence / 1_000_000;

    /// <summary>The number a folder or file name segment holds (<c>0000000000000000001/</c>, <c>…0042.json</c>).</summary>
    public static long? NumberOf(string segment)
    {
        var digits = segment.TrimEnd('/');
        if (digits.EndsWith(".json", StringComparison.Ordinal))
        {
            digits = digits[..^5];
        }

        digits = digits[(digits.LastIndexOf('/') + 1)..];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
    }
}
