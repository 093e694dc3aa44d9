using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Kavach.StreamApi.Ssf;

/// <summary>An RSA key that signs SETs, with its key id (the RFC 7638 thumbprint of its public key).</summary>
public sealed record SsfSigningKey(string Kid, RSA Rsa, DateTimeOffset CreatedAt)
{
    public const int MinimumBits = 2048;

    /// <summary>The public key as a JWK (RFC 7517), as <c>jwks_uri</c> publishes it.</summary>
    public Dictionary<string, string> PublicJwk()
    {
        var p = Rsa.ExportParameters(false);
        return new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = Kid,
            ["n"] = Base64UrlEncoder.Encode(p.Modulus),
            ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        };
    }

    /// <summary>A new key of <see cref="MinimumBits"/> (the CAEP interoperability profile's minimum, and the cheapest to sign with).</summary>
    public static SsfSigningKey Generate(DateTimeOffset createdAt)
    {
        var rsa = RSA.Create(MinimumBits);
        return new SsfSigningKey(Thumbprint(rsa), rsa, createdAt);
    }

    public SigningCredentials Credentials() => new(new RsaSecurityKey(Rsa) { KeyId = Kid }, SecurityAlgorithms.RsaSha256);

    /// <summary>RFC 7638: SHA-256 over the required members, in lexical order, without spaces.</summary>
    public static string Thumbprint(RSA rsa)
    {
        var p = rsa.ExportParameters(false);
        var canonical = $"{{\"e\":\"{Base64UrlEncoder.Encode(p.Exponent)}\",\"kty\":\"RSA\",\"n\":\"{Base64UrlEncoder.Encode(p.Modulus)}\"}}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}

/// <summary>
/// The keys that sign SETs (<c>kavach_ssf_keys</c>), shared by every replica: the first replica that needs one makes it
/// (under an advisory lock, so two replicas starting together make one, not two); the newest signs and every one is
/// published, so a key added by an operator takes over while receivers still verify what the older one signed.
/// </summary>
public sealed class SsfKeys(NpgsqlDataSource dataSource, TimeProvider time, ILogger<SsfKeys> logger)
{
    /// <summary>How long a replica uses what it read before reading the table again (to see a key added elsewhere).</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromMinutes(5);

    private const long CreateLock = 0x5353_465F_4B45_59; // "SSF_KEY": one key is made at a time, across replicas

    private readonly SemaphoreSlim _loading = new(1, 1);
    private IReadOnlyList<SsfSigningKey>? _keys;
    private DateTimeOffset _loadedAt;

    /// <summary>The key that signs now: the newest.</summary>
    public async Task<SsfSigningKey> CurrentAsync(CancellationToken cancellationToken) => (await AllAsync(cancellationToken))[0];

    /// <summary>Every key, newest first (never empty: one is made when there is none).</summary>
    public async Task<IReadOnlyList<SsfSigningKey>> AllAsync(CancellationToken cancellationToken)
    {
        if (_keys is { } keys && time.GetUtcNow() - _loadedAt < Refresh)
        {
            return keys;
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (_keys is { } loaded && time.GetUtcNow() - _loadedAt < Refresh)
            {
                return loaded;
            }

            var read = await ReadAsync(cancellationToken);
            if (read.Count == 0)
            {
                read = await CreateFirstAsync(cancellationToken);
            }

            _keys = read;
            _loadedAt = time.GetUtcNow();
            return read;
        }
        finally
        {
            _loading.Release();
        }
    }

    private async Task<IReadOnlyList<SsfSigningKey>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT kid, private_pem, created_at FROM kavach_ssf_keys ORDER BY created_at DESC, kid DESC");
        return await ReadKeysAsync(command, cancellationToken);
    }

    private async Task<IReadOnlyList<SsfSigningKey>> CreateFirstAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = CreateLock });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var again = new NpgsqlCommand("SELECT kid, private_pem, created_at FROM kavach_ssf_keys ORDER BY created_at DESC, kid DESC", connection, transaction))
        {
            var existing = await ReadKeysAsync(again, cancellationToken);
            if (existing.Count > 0)
            {
                await transaction.CommitAsync(cancellationToken);
                return existing; // another replica made it while this one waited for the lock
            }
        }

        var key = SsfSigningKey.Generate(time.GetUtcNow());
        var kid = key.Kid;
        await using (var insert = new NpgsqlCommand("INSERT INTO kavach_ssf_keys (kid, private_pem) VALUES ($1, $2)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = kid });
            insert.Parameters.Add(new NpgsqlParameter { Value = key.Rsa.ExportPkcs8PrivateKeyPem() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Made the SSF signing key {Kid} (RSA 2048): SETs are signed with it and it is published at the JWKS endpoint.", kid);
        return await ReadAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<SsfSigningKey>> ReadKeysAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<SsfSigningKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(reader.GetString(1));
            if (rsa.KeySize < SsfSigningKey.MinimumBits)
            {
                throw new InvalidOperationException(
                    $"The SSF key '{reader.GetString(0)}' in kavach_ssf_keys has {rsa.KeySize} bits; SETs need at least {SsfSigningKey.MinimumBits}. Delete it.");
            }

            keys.Add(new SsfSigningKey(reader.GetString(0), rsa, reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return keys;
    }
}
