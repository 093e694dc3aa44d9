using Kavach.StreamApi.Delivery;
using Npgsql;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// SETs that are not events of the log — a verification event a receiver asked for, a stream-updated event — put in
/// <c>kavach_destination_outbox</c> for one stream, ahead of its next event: the engine pushes them first, a poll returns
/// them first. Their payload is the SET's claims, signed when sent.
/// </summary>
public sealed class SsfOutbox(NpgsqlDataSource dataSource, TimeProvider time)
{
    public const string VerificationKind = "ssf.verification";
    public const string StreamUpdatedKind = "ssf.stream-updated";

    /// <summary>Queues a verification event (SSF §8.1.4.2); false when <paramref name="maxPending"/> already wait.</summary>
    public async Task<bool> AddVerificationAsync(SsfStream stream, string? state, int maxPending, CancellationToken cancellationToken)
    {
        var jti = stream.NewMessageJti("verify");
        var claims = SetBuilder.VerificationClaims(stream, jti, state, time.GetUtcNow());
        await using var command = dataSource.CreateCommand("""
            INSERT INTO kavach_destination_outbox (destination, message_id, kind, payload)
            SELECT $1, $2, $3, $4 WHERE (SELECT count(*) FROM kavach_destination_outbox WHERE destination = $1 AND kind = $3) < $5
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = stream.Destination.Id });
        p.Add(new NpgsqlParameter { Value = jti });
        p.Add(new NpgsqlParameter { Value = VerificationKind });
        p.Add(new NpgsqlParameter { Value = claims });
        p.Add(new NpgsqlParameter { Value = (long)maxPending });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Queues a stream-updated event (SSF §8.1.5): for a status the transmitter set without the receiver asking.</summary>
    public async Task AddStreamUpdatedAsync(SsfStream stream, string status, string? reason, CancellationToken cancellationToken)
    {
        var jti = stream.NewMessageJti("updated");
        await using var command = dataSource.CreateCommand(
            "INSERT INTO kavach_destination_outbox (destination, message_id, kind, payload) VALUES ($1, $2, $3, $4)");
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = stream.Destination.Id });
        p.Add(new NpgsqlParameter { Value = jti });
        p.Add(new NpgsqlParameter { Value = StreamUpdatedKind });
        p.Add(new NpgsqlParameter { Value = SetBuilder.StreamUpdatedClaims(stream, jti, status, reason, time.GetUtcNow()) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The stream's waiting messages, oldest first.</summary>
    public async Task<List<OutboxMessage>> ReadAsync(Guid destination, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, destination, message_id, kind, payload, created_at FROM kavach_destination_outbox WHERE destination = $1 ORDER BY id LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = destination });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var messages = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(new OutboxMessage(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return messages;
    }

    /// <summary>Removes a message the receiver acknowledged; false when this stream has none by that <c>jti</c>.</summary>
    public async Task<bool> AcknowledgeAsync(Guid destination, string jti, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM kavach_destination_outbox WHERE destination = $1 AND message_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = destination });
        command.Parameters.Add(new NpgsqlParameter { Value = jti });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
