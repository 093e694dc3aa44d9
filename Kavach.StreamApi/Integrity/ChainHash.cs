using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// The hash chain over the committed stream, as PostgreSQL's <c>kavach_chain</c> computes it in the commit:
/// <c>hash(N) = SHA-256(hash(N-1) ‖ epoch as 8 bytes big-endian ‖ SHA-256(event N's JSON as served, without its
/// hash field))</c>, starting from 32 zero bytes. The JSON as served is the stored body with <c>"sequence":N</c>
/// appended, so the hash covers every field of the event, its sequence and its epoch.
/// </summary>
public static class ChainHash
{
    public const int Size = 32;

    public static ReadOnlySpan<byte> Genesis => new byte[Size];

    /// <summary>The event's JSON as served, without the hash: <c>{...body...,"sequence":N}</c>.</summary>
    public static byte[] ServedJson(string body, long sequence) =>
        Encoding.UTF8.GetBytes(string.Concat(body.AsSpan(0, body.Length - 1), ",\"sequence\":",
            sequence.ToString(CultureInfo.InvariantCulture), "}"));

    public static byte[] Link(ReadOnlySpan<byte> previous, long epoch, ReadOnlySpan<byte> servedJson)
    {
        Span<byte> input = stackalloc byte[Size + 8 + Size];
        previous.CopyTo(input);
        BinaryPrimitives.WriteInt64BigEndian(input[Size..], epoch);
        SHA256.HashData(servedJson, input[(Size + 8)..]);
        return SHA256.HashData(input);
    }

    public static byte[] Of(StoredEvent stored, long epoch, ReadOnlySpan<byte> previous) =>
        Link(previous, epoch, ServedJson(stored.Body, stored.Sequence));
}
