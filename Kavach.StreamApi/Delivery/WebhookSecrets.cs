using System.Security.Cryptography;
using Kavach.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Delivery;

/// <summary>A secret just made: its value is in this answer and nowhere else the API ever shows.</summary>
public sealed record NewWebhookSecret(WebhookSecretView View, string Value);

/// <summary>
/// <c>kavach_webhook_secrets</c>: a webhook's signing secrets (Standard Webhooks, <c>whsec_</c> + base64 of 32 random
/// bytes). Rotation overlaps: a new secret is added and the older ones stay valid for the overlap, so a receiver can
/// switch to the new one while every message still carries a signature it knows. Values are never listed; the
/// sender reads them through <see cref="WebhookSigningKeys"/>.
/// </summary>
public sealed class WebhookSecrets(NpgsqlDataSource dataSource)
{
    public const string Prefix = "whsec_";

    /// <summary>How long a rotated-out secret keeps signing unless the rotation says otherwise.</summary>
    public static readonly TimeSpan DefaultOverlap = TimeSpan.FromHours(24);

    /// <summary>The longest overlap a rotation may ask for: an old secret must not sign for ever.</summary>
    public static readonly TimeSpan MaxOverlap = TimeSpan.FromDays(30);

    /// <summary>A fresh value: 256 bits from the system's CSPRNG, in the Standard Webhooks form.</summary>
    public static string NewValue() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>A new webhook's first secret, on <paramref name="connection"/> in the transaction that creates the webhook.</summary>
    public static async Task<NewWebhookSecret> AddFirstAsync(NpgsqlConnection connection, Guid destination, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        return await InsertAsync(command, destination, cancellationToken);
    }

    /// <summary>
    /// Adds a new secret; every older one still valid now expires after <paramref name="overlap"/> (or sooner, if it
    /// already would), and those already expired are removed. Null when there is no such webhook.
    /// </summary>
    public async Task<NewWebhookSecret?> RotateAsync(Guid destination, TimeSpan overlap, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockRow = connection.CreateCommand())
        {
            // Two rotations at once must not each shorten the other's new secret: one waits for the other.
            lockRow.CommandText = "SELECT 1 FROM kavach_destinations WHERE id = $1 AND kind = 'webhook' FOR UPDATE";
            lockRow.Parameters.Add(new NpgsqlParameter { Value = destination });
            if (await lockRow.ExecuteScalarAsync(cancellationToken) is null)
            {
                return null;
            }
        }

        await using (var expire = new NpgsqlBatch(connection))
        {
            expire.BatchCommands.Add(new NpgsqlBatchCommand(
                "DELETE FROM kavach_webhook_secrets WHERE destination = $1 AND expires_at <= clock_timestamp()")
            {
                Parameters = { new NpgsqlParameter { Value = destination } },
            });
            expire.BatchCommands.Add(new NpgsqlBatchCommand("""
                UPDATE kavach_webhook_secrets SET expires_at = least(coalesce(expires_at, 'infinity'), clock_timestamp() + $2)
                WHERE destination = $1
                """)
            {
                Parameters = { new NpgsqlParameter { Value = destination }, new NpgsqlParameter { Value = overlap, NpgsqlDbType = NpgsqlDbType.Interval } },
            });
            await expire.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var insert = connection.CreateCommand();
        var created = await InsertAsync(insert, destination, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    /// <summary>The secrets of each destination that still sign (values left out), newest first.</summary>
    public async Task<Dictionary<Guid, List<WebhookSecretView>>> ListAsync(IReadOnlyCollection<Guid> destinations, CancellationToken cancellationToken)
    {
        var found = destinations.ToDictionary(d => d, _ => new List<WebhookSecretView>());
        if (found.Count == 0)
        {
            return found;
        }

        await using var command = dataSource.CreateCommand("""
            SELECT destination, id, created_at, expires_at FROM kavach_webhook_secrets
            WHERE destination = ANY($1) AND (expires_at IS NULL OR expires_at > clock_timestamp())
            ORDER BY destination, created_at DESC, id DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = found.Keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[reader.GetGuid(0)].Add(new WebhookSecretView(reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return found;
    }

    private static async Task<NewWebhookSecret> InsertAsync(NpgsqlCommand command, Guid destination, CancellationToken cancellationToken)
    {
        var value = NewValue();
        command.CommandText = "INSERT INTO kavach_webhook_secrets (destination, id, secret) VALUES ($1, $2, $3) RETURNING id, created_at";
        command.Parameters.Add(new NpgsqlParameter { Value = destination });
        command.Parameters.Add(new NpgsqlParameter { Value = "sec_" + Guid.CreateVersion7().ToString("N") });
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new NewWebhookSecret(new WebhookSecretView(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), null), value);
    }
}
