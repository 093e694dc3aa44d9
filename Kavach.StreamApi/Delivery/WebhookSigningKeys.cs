using System.Collections.Concurrent;
using Npgsql;
using StandardWebhooks;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// The unexpired secrets of each webhook (<c>kavach_webhook_secrets</c>), as signers, kept for a few seconds so that
/// a destination receiving a burst is not one query per event. A rotation's new secret signs within
/// <see cref="Freshness"/>; the old one keeps signing until it expires, so receivers that know either verify.
/// </summary>
public sealed class WebhookSigningKeys(DeliveryDataSource delivery, TimeProvider time)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

    public async ValueTask<IReadOnlyList<StandardWebhook>> ForAsync(Guid destination, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(destination, out var entry) && now - entry.ReadAt < Freshness && entry.Signers.Count > 0)
        {
            return entry.Signers;
        }

        await using var command = delivery.DataSource.CreateCommand("""
            SELECT secret FROM kavach_webhook_secrets
            WHERE destination = $1 AND (expires_at IS NULL OR expires_at > clock_timestamp())
            ORDER BY created_at, id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = destination });
        var signers = new List<StandardWebhook>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                signers.Add(new StandardWebhook(reader.GetString(0)));
            }
        }

        _entries[destination] = new Entry(now, signers);
        return signers;
    }

    /// <summary>Forgets a destination's secrets (rotated, or the destination deleted): the next message reads them again.</summary>
    public void Forget(Guid destination) => _entries.TryRemove(destination, out _);

    private sealed record Entry(DateTimeOffset ReadAt, IReadOnlyList<StandardWebhook> Signers);
}
