using Kavach.Contracts;
using Npgsql;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// Destinations as the admin APIs and the console show them (<see cref="DestinationView"/>): where each cursor stands
/// against the log's head, since when the oldest event it has not had is waiting, and — for a webhook — its secrets
/// without their values.
/// </summary>
public sealed class DestinationViews(NpgsqlDataSource dataSource, WebhookSecrets secrets)
{
    public async Task<DestinationView> ViewAsync(Destination destination, CancellationToken cancellationToken) =>
        (await ViewAsync([destination], cancellationToken))[0];

    public async Task<List<DestinationView>> ViewAsync(IReadOnlyList<Destination> destinations, CancellationToken cancellationToken)
    {
        if (destinations.Count == 0)
        {
            return [];
        }

        var (head, oldest) = await ReadPositionsAsync(destinations.Select(d => d.Cursor).Distinct().ToArray(), cancellationToken);
        var webhooks = destinations.Where(d => d.Kind == DestinationKind.Webhook).Select(d => d.Id).ToArray();
        var secretsOf = await secrets.ListAsync(webhooks, cancellationToken);
        return [.. destinations.Select(d => ToView(d, head, oldest.GetValueOrDefault(d.Cursor), secretsOf.GetValueOrDefault(d.Id)))];
    }

    /// <summary>
    /// The view of <paramref name="destination"/> when the log's last sequence is <paramref name="head"/> and the event
    /// after its cursor was committed at <paramref name="firstAfterCursor"/> (null: none is kept after it).
    /// </summary>
    public static DestinationView ToView(Destination destination, long head, DateTimeOffset? firstAfterCursor, IReadOnlyList<WebhookSecretView>? secrets)
    {
        var lag = Math.Max(0, head - destination.Cursor);
        var grant = destination.Grant;
        return new DestinationView(
            destination.Id,
            DestinationStore.KindText(destination.Kind),
            destination.Url?.ToString(),
            destination.Description,
            destination.EventTypes,
            new DestinationGrant(Sorted(grant.Types), Sorted(grant.Agents), Sorted(grant.Users)),
            DestinationStore.StateText(destination.State),
            destination.StateReason,
            destination.Cursor,
            head,
            lag,
            lag > 0 ? firstAfterCursor : null,
            destination.Attempts,
            destination.FailingSince,
            destination.NextAttemptAt,
            destination.LastError,
            destination.LastErrorAt,
            destination.LastSuccessAt,
            destination.Delivered,
            destination.CreatedBy,
            destination.CreatedAt,
            destination.Kind == DestinationKind.Webhook ? secrets ?? [] : null);
    }

    /// <summary>The log's last sequence, and for each cursor when the first event after it that is still kept was committed.</summary>
    private async Task<(long Head, Dictionary<long, DateTimeOffset?> Oldest)> ReadPositionsAsync(long[] cursors, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT (SELECT s.last_value FROM kavach_stream_sequence s), c.cursor,
                (SELECT e.committed_at FROM kavach_stream_events e WHERE e.sequence > c.cursor ORDER BY e.sequence LIMIT 1)
            FROM unnest($1::bigint[]) AS c(cursor)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = cursors });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        long head = 0;
        var oldest = new Dictionary<long, DateTimeOffset?>();
        while (await reader.ReadAsync(cancellationToken))
        {
            head = reader.GetInt64(0);
            oldest[reader.GetInt64(1)] = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
        }

        return (head, oldest);
    }

    private static List<string>? Sorted(IEnumerable<string>? values) => values?.Order(StringComparer.Ordinal).ToList();
}
