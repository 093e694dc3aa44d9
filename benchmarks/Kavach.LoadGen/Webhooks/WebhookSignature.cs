using System.Security.Cryptography;
using System.Text;

namespace Kavach.LoadGen.Webhooks;

/// <summary>
/// Standard Webhooks verification written from the specification, not with the sender's library: the signed content is
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, HMAC-SHA256 under the secret's bytes (base64 after <c>whsec_</c>),
/// sent base64 as <c>v1,&lt;signature&gt;</c>, several space-separated while secrets overlap. One match is enough.
/// </summary>
public static class WebhookSignature
{
    private const string SecretPrefix = "whsec_";

    public static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);

    public static bool Verify(IReadOnlyList<byte[]> keys, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            return false;
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        Span<byte> expected = stackalloc byte[32];
        Span<byte> given = stackalloc byte[32];
        foreach (var key in keys)
        {
            HMACSHA256.HashData(key, content, expected);
            foreach (var signature in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (signature.StartsWith("v1,", StringComparison.Ordinal)
                    && Convert.TryFromBase64String(signature[3..], given, out var length) && length == 32
                    && CryptographicOperations.FixedTimeEquals(expected, given))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
