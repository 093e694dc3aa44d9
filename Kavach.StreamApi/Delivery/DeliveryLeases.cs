using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// The engine's statements on <c>kavach_destinations</c> and the outbox: leases (claim, renew, release) and every
/// change a sender makes — each fenced by <c>lease_owner = owner</c>, so a replica that lost a destination's lease
/// cannot move its cursor or record its failures. Moving the cursor also names the cursor it moves from: an admin's
/// rewind in between wins, and the sender reads the row again.
/// </summary>
public sealed class DeliveryLeases(DeliveryDataSource delivery)
{
    private readonly NpgsqlDataSource _db = delivery.DataSource;

    /// <summary>
    /// This engine, as <c>lease_owner</c>: a fresh id each time, so a restarted replica never mistakes an old lease
    /// for its own; the host and process id before it say which replica holds what.
    /// </summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>
    /// Up to <paramref name="limit"/> enabled, pushed destinations of <paramref name="kinds"/> (those this replica has a
    /// channel for; all when null) whose lease is free or has run out; skips rows another replica is claiming.
    /// </summary>
    public async Task<List<Destination>> ClaimAsync(TimeSpan duration, int limit, CancellationToken cancellationToken,
        IReadOnlyCollection<DestinationKind>? kinds = null)
    {
        await using var command = _db.CreateCommand($"""
            UPDATE kavach_destinations SET lease_owner = $1, lease_until = clock_timestamp() + $2
            WHERE id IN (
                SELECT id FROM kavach_destinations
                WHERE state = 'enabled' AND url IS NOT NULL AND (lease_until IS NULL OR lease_until < clock_timestamp())
                    AND ($4::text[] IS NULL OR kind = ANY($4))
                ORDER BY lease_until NULLS FIRST, id
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING {DestinationStore.Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = Owner });
        command.Parameters.Add(new NpgsqlParameter { Value = duration, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (object?)kinds?.Select(DestinationStore.KindText).ToArray() ?? DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });
        return await DestinationStore.ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Extends every lease this owner holds and returns those rows as they are now (a row missing was lost or deleted).</summary>
    public async Task<List<Destination>> RenewAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand($"""
            UPDATE kavach_destinations SET lease_until = clock_timestamp() + $2
            WHERE lease_owner = $1
            RETURNING {DestinationStore.Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = Owner });
        command.Parameters.Add(new NpgsqlParameter { Value = duration, NpgsqlDbType = NpgsqlDbType.Interval });
        return await DestinationStore.ReadAllAsync(command, cancellationToken);
    }

    public async Task ReleaseAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(
            "UPDATE kavach_destinations SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = Owner });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>On shutdown: every lease of this owner, so other replicas take its destinations at once.</summary>
    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("UPDATE kavach_destinations SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Owner });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The row, to start again from what PostgreSQL holds; null when this owner no longer holds it.</summary>
    public async Task<Destination?> ReadHeldAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand($"SELECT {DestinationStore.Columns} FROM kavach_destinations WHERE id = $1 AND lease_owner = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = Owner });
        return (await DestinationStore.ReadAllAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>
    /// Moves the cursor from <paramref name="from"/> to <paramref name="to"/> after <paramref name="delivered"/>
    /// accepted deliveries (0: only events not meant for it were passed), ending any run of failures. False when the
    /// lease is lost or the cursor was moved meanwhile (a rewind).
    /// </summary>
    public async Task<bool> AdvanceAsync(Guid id, StreamCursorAt from, StreamCursorAt to, int delivered, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            UPDATE kavach_destinations SET cursor = $5, cursor_epoch = $6, delivered = delivered + $7,
                attempts = CASE WHEN $7 > 0 THEN 0 ELSE attempts END,
                failing_since = CASE WHEN $7 > 0 THEN NULL ELSE failing_since END,
                next_attempt_at = CASE WHEN $7 > 0 THEN NULL ELSE next_attempt_at END,
                last_success_at = CASE WHEN $7 > 0 THEN clock_timestamp() ELSE last_success_at END
            WHERE id = $1 AND lease_owner = $2 AND cursor = $3 AND cursor_epoch = $4
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = id });
        p.Add(new NpgsqlParameter { Value = Owner });
        p.Add(new NpgsqlParameter { Value = from.Sequence });
        p.Add(new NpgsqlParameter { Value = from.Epoch });
        p.Add(new NpgsqlParameter { Value = to.Sequence });
        p.Add(new NpgsqlParameter { Value = to.Epoch });
        p.Add(new NpgsqlParameter { Value = delivered });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Records a failed attempt; with <paramref name="pauseReason"/> the destination is paused (the retry horizon). False when the lease is lost.</summary>
    public async Task<bool> RecordFailureAsync(Guid id, FailureRun run, string error, string? pauseReason, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            UPDATE kavach_destinations SET attempts = $3, failing_since = $4, next_attempt_at = $5, last_error = $6,
                last_error_at = clock_timestamp(),
                state = CASE WHEN $7::text IS NULL THEN state ELSE 'paused' END,
                state_reason = coalesce($7, state_reason),
                updated_at = CASE WHEN $7::text IS NULL THEN updated_at ELSE clock_timestamp() END
            WHERE id = $1 AND lease_owner = $2
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = id });
        p.Add(new NpgsqlParameter { Value = Owner });
        p.Add(new NpgsqlParameter { Value = run.Attempts });
        p.Add(new NpgsqlParameter { Value = run.FailingSince });
        p.Add(new NpgsqlParameter { Value = (object?)run.NextAttemptAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter { Value = error });
        p.Add(new NpgsqlParameter { Value = (object?)pauseReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Which of <paramref name="held"/> have outbox messages waiting: one statement for all of them.</summary>
    public async Task<HashSet<Guid>> WithOutboxAsync(Guid[] held, CancellationToken cancellationToken)
    {
        var found = new HashSet<Guid>();
        if (held.Length == 0)
        {
            return found;
        }

        await using var command = _db.CreateCommand("SELECT DISTINCT destination FROM kavach_destination_outbox WHERE destination = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = held });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add(reader.GetGuid(0));
        }

        return found;
    }

    public async Task<List<OutboxMessage>> ReadOutboxAsync(Guid destination, int limit, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            SELECT id, destination, message_id, kind, payload, created_at FROM kavach_destination_outbox
            WHERE destination = $1 ORDER BY id LIMIT $2
            """);
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

    /// <summary>An accepted outbox message goes; fenced like the cursor. It also ends the run of failures.</summary>
    public async Task<bool> CompleteOutboxAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            WITH held AS (
                UPDATE kavach_destinations SET attempts = 0, failing_since = NULL, next_attempt_at = NULL, last_success_at = clock_timestamp()
                WHERE id = $2 AND lease_owner = $3 RETURNING id)
            DELETE FROM kavach_destination_outbox WHERE id = $1 AND destination IN (SELECT id FROM held)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = message.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Destination });
        command.Parameters.Add(new NpgsqlParameter { Value = Owner });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Destinations paused now, by anyone (the engine at the horizon, or an admin): for the paused gauge.</summary>
    public async Task<int> CountPausedAsync(CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT count(*)::int FROM kavach_destinations WHERE state = 'paused'");
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <summary>A cursor: the last sequence decided for a destination, in the epoch it was decided in.</summary>
public readonly record struct StreamCursorAt(long Epoch, long Sequence);

/// <summary>A run of failed attempts at the same message: how many, since when, and when the next one is due (null: now).</summary>
public readonly record struct FailureRun(int Attempts, DateTimeOffset FailingSince, DateTimeOffset? NextAttemptAt);
