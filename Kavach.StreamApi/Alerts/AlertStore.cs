using System.Text.Json;
using Kavach.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Alerts;

/// <summary>
/// <c>kavach_alerts</c> and <c>kavach_alert_changes</c> (migration 14). A raise runs in one transaction under an
/// advisory lock on its rule and entity, so raises of the same alert from several console instances serialize and
/// only the first creates it; its notification goes into <c>kavach_destination_outbox</c> in that transaction, so an
/// alert is never stored without its message nor a message sent for an alert that was not.
/// </summary>
public sealed class AlertStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, rule, kind, entity_kind, entity, title, detail, evidence, state, raised_at, raised_by, changed_at, changed_by,
        note, notify_destination
        """;

    /// <summary>Creates the alert, or answers the one it repeats unchanged; nothing is stored when the evidence or the destination is wrong.</summary>
    public async Task<RaiseOutcome> RaiseAsync(NewAlert draft, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            // Names hold no control characters (AlertRequestChecks), so the line breaks keep rule and entity apart.
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = $"kavach_alerts\n{draft.Rule}\n{draft.EntityKind}\n{draft.Entity}" });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var missing = new NpgsqlCommand("""
            SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM unnest($1::bigint[]) s
            WHERE NOT EXISTS (SELECT 1 FROM kavach_stream_events e WHERE e.sequence = s)
            """, connection, transaction))
        {
            missing.Parameters.Add(new NpgsqlParameter { Value = draft.Evidence, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            if ((long[])(await missing.ExecuteScalarAsync(cancellationToken))! is { Length: > 0 } absent)
            {
                return new RaiseOutcome(RaiseResult.EvidenceMissing, Missing: absent);
            }
        }

        await using (var existing = new NpgsqlCommand($"""
            SELECT {Columns} FROM kavach_alerts
            WHERE rule = $1 AND entity_kind = $2 AND entity = $3
              AND (evidence && $4 OR ($5::integer IS NOT NULL AND raised_at > clock_timestamp() - make_interval(secs => $5::integer)))
            ORDER BY id DESC LIMIT 1
            """, connection, transaction))
        {
            var p = existing.Parameters;
            p.Add(new NpgsqlParameter { Value = draft.Rule });
            p.Add(new NpgsqlParameter { Value = draft.EntityKind });
            p.Add(new NpgsqlParameter { Value = draft.Entity });
            p.Add(new NpgsqlParameter { Value = draft.Evidence, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            p.Add(new NpgsqlParameter { Value = (object?)draft.DedupeWindowSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            if ((await ReadAllAsync(existing, cancellationToken)).FirstOrDefault() is { } found)
            {
                await transaction.CommitAsync(cancellationToken);
                return new RaiseOutcome(RaiseResult.Existing, found);
            }
        }

        if (draft.NotifyDestination is { } destination && await DestinationProblemAsync(connection, transaction, destination, cancellationToken) is { } problem)
        {
            return new RaiseOutcome(problem);
        }

        AlertView alert;
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO kavach_alerts (rule, kind, entity_kind, entity, title, detail, evidence, dedupe_window_seconds, notify_destination,
                state, raised_by, changed_by, changed_subject)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '{AlertStates.Open}', $10, $10, $10)
            RETURNING {Columns}
            """, connection, transaction))
        {
            var p = insert.Parameters;
            p.Add(new NpgsqlParameter { Value = draft.Rule });
            p.Add(new NpgsqlParameter { Value = draft.Kind });
            p.Add(new NpgsqlParameter { Value = draft.EntityKind });
            p.Add(new NpgsqlParameter { Value = draft.Entity });
            p.Add(new NpgsqlParameter { Value = draft.Title });
            p.Add(new NpgsqlParameter { Value = (object?)draft.Detail ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = draft.Evidence, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            p.Add(new NpgsqlParameter { Value = (object?)draft.DedupeWindowSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            p.Add(new NpgsqlParameter { Value = (object?)draft.NotifyDestination ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            p.Add(new NpgsqlParameter { Value = draft.RaisedBy });
            alert = (await ReadAllAsync(insert, cancellationToken))[0];
        }

        await AddChangeAsync(connection, transaction, alert.Id, AlertStates.Open, draft.RaisedBy, draft.RaisedBy, note: null, alert.RaisedAt, cancellationToken);
        if (draft.NotifyDestination is { } notify)
        {
            await using var outbox = new NpgsqlCommand(
                "INSERT INTO kavach_destination_outbox (destination, message_id, kind, payload) VALUES ($1, $2, $3, $4)", connection, transaction);
            outbox.Parameters.Add(new NpgsqlParameter { Value = notify });
            outbox.Parameters.Add(new NpgsqlParameter { Value = AlertNotification.MessageId(alert) });
            outbox.Parameters.Add(new NpgsqlParameter { Value = AlertMessageKinds.Raised });
            outbox.Parameters.Add(new NpgsqlParameter { Value = AlertNotification.Payload(alert) });
            await outbox.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new RaiseOutcome(RaiseResult.Created, alert);
    }

    /// <summary>Moves the alert to <paramref name="state"/> for the person <paramref name="by"/>, when its lifecycle allows it, and records the change.</summary>
    public async Task<ChangeOutcome> ChangeAsync(long id, string state, string by, string subject, string? note, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        AlertView? current;
        await using (var select = new NpgsqlCommand($"SELECT {Columns} FROM kavach_alerts WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = id });
            current = (await ReadAllAsync(select, cancellationToken)).FirstOrDefault();
        }

        if (current is null)
        {
            return new ChangeOutcome(ChangeResult.NotFound);
        }

        if (!AlertStates.CanChange(current.State, state))
        {
            var history = await HistoryAsync(connection, transaction, id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new ChangeOutcome(ChangeResult.NotAllowed, current with { History = history });
        }

        DateTimeOffset changedAt;
        await using (var update = new NpgsqlCommand("""
            UPDATE kavach_alerts SET state = $2, changed_at = clock_timestamp(), changed_by = $3, changed_subject = $4, note = $5 WHERE id = $1
            RETURNING changed_at
            """, connection, transaction))
        {
            var p = update.Parameters;
            p.Add(new NpgsqlParameter { Value = id });
            p.Add(new NpgsqlParameter { Value = state });
            p.Add(new NpgsqlParameter { Value = by });
            p.Add(new NpgsqlParameter { Value = subject });
            p.Add(new NpgsqlParameter { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            changedAt = new DateTimeOffset((DateTime)(await update.ExecuteScalarAsync(cancellationToken))!); // timestamptz: UTC
        }

        await AddChangeAsync(connection, transaction, id, state, by, subject, note, changedAt, cancellationToken);
        var changed = await GetAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ChangeOutcome(ChangeResult.Changed, changed);
    }

    /// <summary>The alert with its history, oldest change first; null when there is none by that id.</summary>
    public async Task<AlertView?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var alert = await GetAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return alert;
    }

    /// <summary>Newest first, those with an id below <see cref="AlertFilter.Before"/>; one more than asked is read to know whether a next page exists.</summary>
    public async Task<AlertPage> ListAsync(AlertFilter filter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM kavach_alerts
            WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR rule = $2)
              AND ($3::text IS NULL OR entity_kind = $3) AND ($4::text IS NULL OR entity = $4) AND ($5::bigint IS NULL OR id < $5)
            ORDER BY id DESC LIMIT $6
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = (object?)filter.State ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)filter.Rule ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)filter.EntityKind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)filter.Entity ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)filter.Before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter { Value = filter.Limit + 1 });
        var alerts = await ReadAllAsync(command, cancellationToken);
        if (alerts.Count <= filter.Limit)
        {
            return new AlertPage(alerts, null);
        }

        alerts.RemoveAt(alerts.Count - 1);
        return new AlertPage(alerts, alerts[^1].Id);
    }

    private static async Task<RaiseResult?> DestinationProblemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT kind, state FROM kavach_destinations WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return RaiseResult.DestinationUnknown;
        }

        // A paused webhook keeps its messages until it resumes; a disabled one would hold them for no one.
        return reader.GetString(0) != "webhook" ? RaiseResult.DestinationNotWebhook
            : reader.GetString(1) == "disabled" ? RaiseResult.DestinationDisabled
            : null;
    }

    private static async Task AddChangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long alert, string state, string by,
        string subject, string? note, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO kavach_alert_changes (alert, state, by_name, subject, note, at) VALUES ($1, $2, $3, $4, $5, $6)", connection, transaction);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = alert });
        p.Add(new NpgsqlParameter { Value = state });
        p.Add(new NpgsqlParameter { Value = by });
        p.Add(new NpgsqlParameter { Value = subject });
        p.Add(new NpgsqlParameter { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = at });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<AlertView?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM kavach_alerts WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (await ReadAllAsync(command, cancellationToken)).FirstOrDefault() is { } alert
            ? alert with { History = await HistoryAsync(connection, transaction, id, cancellationToken) }
            : null;
    }

    private static async Task<List<AlertChange>> HistoryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT state, by_name, subject, at, note FROM kavach_alert_changes WHERE alert = $1 ORDER BY id", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        var changes = new List<AlertChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changes.Add(new AlertChange(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return changes;
    }

    private static async Task<List<AlertView>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var alerts = new List<AlertView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            alerts.Add(new AlertView(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetFieldValue<long[]>(7),
                reader.GetString(8),
                reader.GetFieldValue<DateTimeOffset>(9),
                reader.GetString(10),
                reader.GetFieldValue<DateTimeOffset>(11),
                reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetString(13),
                reader.IsDBNull(14) ? null : reader.GetGuid(14)));
        }

        return alerts;
    }
}

/// <summary>A list's filters (each null: any) and its page: alerts with an id below <see cref="Before"/>, at most <see cref="Limit"/>.</summary>
public sealed record AlertFilter(string? State, string? Rule, string? EntityKind, string? Entity, long? Before, int Limit);
