using System.Collections.Frozen;
using System.Text.Json;
using Kavach.StreamApi.Events;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Delivery;

/// <summary>What a new destination is made of; its cursor starts at the log's head unless <see cref="After"/> says where.</summary>
public sealed record NewDestination(
    DestinationKind Kind,
    Uri? Url,
    string? Description,
    IReadOnlyList<string>? EventTypes,
    ReadGrant Grant,
    JsonElement? Config,
    string CreatedBy,
    long? After = null,
    DestinationState State = DestinationState.Enabled);

/// <summary>
/// <c>kavach_destinations</c>: the destinations' definitions, states and cursors. The engine's own statements (leases,
/// moving the cursor) live with the engine; this is what the admin APIs and the console change.
/// </summary>
public sealed class DestinationStore(NpgsqlDataSource dataSource)
{
    internal const string Columns = """
        id, kind, url, description, event_types, grant_types, grant_agents, grant_users, config, state, state_reason,
        cursor, cursor_epoch, created_by, created_at, updated_at, attempts, failing_since, next_attempt_at, last_error,
        last_error_at, last_success_at, delivered
        """;

    public Task<Destination> CreateAsync(NewDestination draft, CancellationToken cancellationToken) =>
        CreateAsync(draft, null, cancellationToken);

    /// <summary>Creates it on <paramref name="connection"/> (in its transaction), when what goes with it must be stored in one.</summary>
    public async Task<Destination> CreateAsync(NewDestination draft, NpgsqlConnection? connection, CancellationToken cancellationToken)
    {
        await using var command = connection is null ? dataSource.CreateCommand() : connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO kavach_destinations (id, kind, url, description, event_types, grant_types, grant_agents, grant_users,
                config, state, cursor, cursor_epoch, created_by)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                coalesce($11, (SELECT s.last_value FROM kavach_stream_sequence s)), (SELECT s.epoch FROM kavach_stream_sequence s), $12
            RETURNING {Columns}
            """;
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
        p.Add(new NpgsqlParameter { Value = KindText(draft.Kind) });
        p.Add(new NpgsqlParameter { Value = (object?)draft.Url?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)draft.Description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        AddTexts(p, draft.EventTypes);
        AddTexts(p, draft.Grant.Types?.Order(StringComparer.Ordinal).ToArray());
        AddTexts(p, draft.Grant.Agents?.Order(StringComparer.Ordinal).ToArray());
        AddTexts(p, draft.Grant.Users?.Order(StringComparer.Ordinal).ToArray());
        p.Add(new NpgsqlParameter { Value = draft.Config?.GetRawText() ?? "{}", NpgsqlDbType = NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter { Value = StateText(draft.State) });
        p.Add(new NpgsqlParameter { Value = (object?)draft.After ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter { Value = draft.CreatedBy });
        return (await ReadAllAsync(command, cancellationToken))[0];
    }

    public async Task<Destination?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM kavach_destinations WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (await ReadAllAsync(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<List<Destination>> ListAsync(DestinationKind? kind, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM kavach_destinations WHERE $1::text IS NULL OR kind = $1 ORDER BY created_at, id");
        command.Parameters.Add(new NpgsqlParameter { Value = kind is { } k ? KindText(k) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await ReadAllAsync(command, cancellationToken);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*)::int FROM kavach_destinations");
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Replaces what may change of a destination's definition: URL, description, types, grant, config.</summary>
    public async Task<Destination?> UpdateAsync(Guid id, Uri? url, string? description, IReadOnlyList<string>? eventTypes, ReadGrant grant,
        JsonElement? config, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE kavach_destinations SET url = $2, description = $3, event_types = $4, grant_types = $5, grant_agents = $6,
                grant_users = $7, config = coalesce($8, config), updated_at = clock_timestamp()
            WHERE id = $1 RETURNING {Columns}
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter { Value = id });
        p.Add(new NpgsqlParameter { Value = (object?)url?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        AddTexts(p, eventTypes);
        AddTexts(p, grant.Types?.Order(StringComparer.Ordinal).ToArray());
        AddTexts(p, grant.Agents?.Order(StringComparer.Ordinal).ToArray());
        AddTexts(p, grant.Users?.Order(StringComparer.Ordinal).ToArray());
        p.Add(new NpgsqlParameter { Value = (object?)config?.GetRawText() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        return (await ReadAllAsync(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM kavach_destinations WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Enables, pauses or disables. Enabling clears the failure run so the engine tries at once; disabling (SSF: events
    /// are not held) moves the cursor to the head when it is enabled again — <paramref name="skipToHead"/>.
    /// </summary>
    public async Task<Destination?> SetStateAsync(Guid id, DestinationState state, string? reason, bool skipToHead, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE kavach_destinations SET state = $2, state_reason = $3, updated_at = clock_timestamp(),
                cursor = CASE WHEN $4 THEN greatest(cursor, (SELECT s.last_value FROM kavach_stream_sequence s)) ELSE cursor END,
                attempts = CASE WHEN $2 = 'enabled' THEN 0 ELSE attempts END,
                failing_since = CASE WHEN $2 = 'enabled' THEN NULL ELSE failing_since END,
                next_attempt_at = CASE WHEN $2 = 'enabled' THEN NULL ELSE next_attempt_at END
            WHERE id = $1 RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = StateText(state) });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = skipToHead });
        return (await ReadAllAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Redeliver: the cursor moves back to just before <paramref name="fromSequence"/>; everything from it is sent again.</summary>
    public async Task<Destination?> RewindAsync(Guid id, long fromSequence, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE kavach_destinations SET cursor = $2, attempts = 0, failing_since = NULL, next_attempt_at = NULL,
                updated_at = clock_timestamp()
            WHERE id = $1 RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Max(0, fromSequence - 1) });
        return (await ReadAllAsync(command, cancellationToken)).FirstOrDefault();
    }

    internal static async Task<List<Destination>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var found = new List<Destination>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add(Read(reader));
        }

        return found;
    }

    /// <summary>One row of <see cref="Columns"/>, in their order.</summary>
    internal static Destination Read(NpgsqlDataReader r)
    {
        using var config = JsonDocument.Parse(r.GetString(8));
        return new Destination(
            r.GetGuid(0),
            ParseKind(r.GetString(1)),
            r.IsDBNull(2) ? null : new Uri(r.GetString(2)),
            r.IsDBNull(3) ? null : r.GetString(3),
            Texts(r, 4),
            new ReadGrant(Set(r, 5), Set(r, 6), Set(r, 7)),
            config.RootElement.Clone(),
            ParseState(r.GetString(9)),
            r.IsDBNull(10) ? null : r.GetString(10),
            r.GetInt64(11),
            r.GetInt64(12),
            r.GetString(13),
            r.GetFieldValue<DateTimeOffset>(14),
            r.GetFieldValue<DateTimeOffset>(15),
            r.GetInt32(16),
            Time(r, 17),
            Time(r, 18),
            r.IsDBNull(19) ? null : r.GetString(19),
            Time(r, 20),
            Time(r, 21),
            r.GetInt64(22));
    }

    public static string KindText(DestinationKind kind) => kind switch
    {
        DestinationKind.Webhook => "webhook",
        _ => "ssf",
    };

    public static DestinationKind ParseKind(string text) => text == "webhook" ? DestinationKind.Webhook : DestinationKind.Ssf;

    public static string StateText(DestinationState state) => state switch
    {
        DestinationState.Enabled => "enabled",
        DestinationState.Paused => "paused",
        _ => "disabled",
    };

    public static DestinationState ParseState(string text) => text switch
    {
        "enabled" => DestinationState.Enabled,
        "paused" => DestinationState.Paused,
        _ => DestinationState.Disabled,
    };

    private static void AddTexts(NpgsqlParameterCollection parameters, IReadOnlyList<string>? values) =>
        parameters.Add(new NpgsqlParameter { Value = (object?)values?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });

    private static string[]? Texts(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetFieldValue<string[]>(ordinal);

    private static FrozenSet<string>? Set(NpgsqlDataReader r, int ordinal) => Texts(r, ordinal)?.ToFrozenSet(StringComparer.Ordinal);

    private static DateTimeOffset? Time(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetFieldValue<DateTimeOffset>(ordinal);
}
