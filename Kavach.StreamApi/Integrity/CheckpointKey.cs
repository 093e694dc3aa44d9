using System.Security.Cryptography;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// The key that signs checkpoints: ECDSA over P-256 with SHA-256 (JOSE "ES256"), signatures as r ‖ s (64 bytes).
/// Its id is the first 16 bytes, in hex, of the SHA-256 of its public key (SubjectPublicKeyInfo, DER).
/// </summary>
public sealed class CheckpointKey : IDisposable
{
    private readonly ECDsa _key;

    private CheckpointKey(ECDsa key, bool ephemeral)
    {
        _key = key;
        Ephemeral = ephemeral;
        var spki = key.ExportSubjectPublicKeyInfo();
        KeyId = IdOf(spki);
        PublicKeyPem = PemEncoding.WriteString("PUBLIC KEY", spki);
    }

    public string KeyId { get; }

    public string PublicKeyPem { get; }

    /// <summary>Made at start because none was configured: it dies with the process.</summary>
    public bool Ephemeral { get; }

    public static CheckpointKey Create(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            return new CheckpointKey(ECDsa.Create(ECCurve.NamedCurves.nistP256), ephemeral: true);
        }

        if (TryLoad(pem, out var key) is { } error)
        {
            throw new InvalidOperationException(error);
        }

        return new CheckpointKey(key!, ephemeral: false);
    }

    /// <summary>Null when <paramref name="pem"/> holds a P-256 private key; otherwise why not.</summary>
    public static string? TryLoad(string pem, out ECDsa? key)
    {
        key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.FriendlyName is not ("nistP256" or "ECDSA_P256"))
            {
                return "the key must be on the P-256 curve (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).";
            }

            key.SignData([0], HashAlgorithmName.SHA256); // a public key alone cannot sign
            return null;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            key = null;
            return $"not a P-256 private key in PEM ({e.Message}).";
        }
    }

    public byte[] Sign(byte[] payload) => _key.SignData(payload, HashAlgorithmName.SHA256);

    public static string IdOf(byte[] subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo).AsSpan(0, 16));

    /// <summary>Whether <paramref name="signature"/> over <paramref name="payload"/> verifies with the PEM public key.</summary>
    public static bool Verify(string publicKeyPem, byte[] payload, byte[] signature)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(publicKeyPem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }

        return key.VerifyData(payload, signature, HashAlgorithmName.SHA256);
    }

    public void Dispose() => _key.Dispose();
}
