using System.Collections.Concurrent;
using System.Security.Cryptography;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// The public keys a checkpoint's signature is checked with: those pinned in configuration
/// (<c>Kavach:Integrity:PinnedKeys</c>) and this replica's own signing key's. Keys listed in PostgreSQL
/// (<c>kavach_checkpoint_keys</c>) only help find a key by its id: whoever can write there cannot add a key that is
/// trusted. The exception is a development setup with no configured key, where every replica signs with a key made at
/// start: there the listed keys are trusted, and <see cref="Pinned"/> says so.
/// </summary>
public sealed class TrustedKeys
{
    private readonly Dictionary<string, string> _pinned = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _listed = new(StringComparer.Ordinal);

    public TrustedKeys(IOptions<IntegrityOptions> options, CheckpointKey ownKey)
    {
        foreach (var pem in options.Value.PinnedKeys)
        {
            var (id, publicPem) = Describe(pem);
            _pinned[id] = publicPem;
        }

        if (!ownKey.Ephemeral)
        {
            _pinned[ownKey.KeyId] = ownKey.PublicKeyPem;
        }

        Pinned = _pinned.Count > 0;
        OwnKey = ownKey;
    }

    /// <summary>False only in development without a configured key: then keys listed in the database are trusted too.</summary>
    public bool Pinned { get; }

    public CheckpointKey OwnKey { get; }

    /// <summary>Whether a checkpoint's signature verifies with a trusted key of its id.</summary>
    public bool Verifies(SignedCheckpoint checkpoint)
    {
        var pem = _pinned.GetValueOrDefault(checkpoint.KeyId)
            ?? (checkpoint.KeyId == OwnKey.KeyId ? OwnKey.PublicKeyPem : null)
            ?? (Pinned ? null : _listed.GetValueOrDefault(checkpoint.KeyId));
        return pem is not null && CheckpointKey.Verify(pem, checkpoint.Payload(), checkpoint.Signature);
    }

    /// <summary>Keys read from the database: used only while no key is pinned, and only when a key's id is its own hash.</summary>
    public void Listed(IEnumerable<CheckpointKeyView> keys)
    {
        foreach (var key in keys)
        {
            if (TryDescribe(key.PublicKey) is { } described && described.Id == key.KeyId)
            {
                _listed[key.KeyId] = described.Pem;
            }
        }
    }

    /// <summary>A public (or private) key's id and public PEM; throws when it is not a P-256 key.</summary>
    public static (string Id, string Pem) Describe(string pem) =>
        TryDescribe(pem) ?? throw new InvalidOperationException("not an ECDSA P-256 key in PEM.");

    private static (string Id, string Pem)? TryDescribe(string pem)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            if (key.KeySize != 256)
            {
                return null;
            }

            var spki = key.ExportSubjectPublicKeyInfo();
            return (CheckpointKey.IdOf(spki), PemEncoding.WriteString("PUBLIC KEY", spki));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return null;
        }
    }
}
