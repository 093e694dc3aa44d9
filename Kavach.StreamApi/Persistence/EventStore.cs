using System.Text.Json;
using Kavach.StreamApi.Events;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Persistence;

/// <summary>A committed event with its commit time (internal: for latency and retention).</summary>
public sealed record CommittedEvent(StreamEvent Event, DateTimeOffset CommittedAt);

/// <summary>What an append did: an answer for every requested event, and the events it newly committed.</summary>
public sealed record AppendResult(IReadOnlyList<EmittedEvent> Emitted, IReadOnlyList<CommittedEvent> Committed);

/// <summary>The <c>kavach_stream_events</c> table: append with gap-free sequences, and reads by sequence.</summary>
public sealed class EventStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "sequence, id, type, timestamp, data::text, agent_id, user_id, committed_at";

    /// <summary>
    /// Commits the events that are not stored yet, in one transaction holding the sequence row lock. Ids already
    /// stored answer with their original sequence, so a retried emit is stored and delivered once.
    /// </summary>
    public async Task<AppendResult> AppendAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        long lastSequence;
        var existing = new Dictionary<string, EmittedEvent>(StringComparer.Ordinal);
        await using (var read = new NpgsqlBatch(connection, transaction))
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand("SELECT last_value FROM kavach_stream_sequence FOR UPDATE"));
            read.BatchCommands.Add(new NpgsqlBatchCommand(
                "SELECT id, sequence, timestamp FROM kavach_stream_events WHERE id = ANY($1)")
            {
                Parameters = { new NpgsqlParameter { Value = events.Select(e => e.Id).ToArray() } },
            });

            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            lastSequence = reader.GetInt64(0);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                existing[id] = new EmittedEvent(id, reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2));
            }
        }

        var fresh = events.Where(e => !existing.ContainsKey(e.Id)).ToList();
        var committed = new List<CommittedEvent>(fresh.Count);
        if (fresh.Count > 0)
        {
            await using var write = new NpgsqlBatch(connection, transaction);
            write.BatchCommands.Add(new NpgsqlBatchCommand($"""
                INSERT INTO kavach_stream_events (sequence, id, type, timestamp, data, agent_id, user_id)
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[], $7::text[])
                RETURNING {Columns}
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter { Value = fresh.Select((_, i) => lastSequence + 1 + i).ToArray() },
                    new NpgsqlParameter { Value = fresh.Select(e => e.Id).ToArray() },
                    new NpgsqlParameter { Value = fresh.Select(e => e.Type).ToArray() },
                    new NpgsqlParameter { Value = fresh.Select(e => e.Timestamp.UtcDateTime).ToArray() },
                    new NpgsqlParameter { Value = fresh.Select(e => e.DataJson).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    new NpgsqlParameter { Value = fresh.Select(e => e.AgentId).ToArray() },
                    new NpgsqlParameter { Value = fresh.Select(e => e.UserId).ToArray() },
                },
            });
            write.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE kavach_stream_sequence SET last_value = $1")
            {
                Parameters = { new NpgsqlParameter { Value = lastSequence + fresh.Count } },
            });

            await using var reader = await write.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                committed.Add(ReadEvent(reader));
            }
        }

        await transaction.CommitAsync(cancellationToken);

        committed.Sort((a, b) => a.Event.Sequence.CompareTo(b.Event.Sequence));
        var stored = committed.ToDictionary(c => c.Event.Id, c => new EmittedEvent(c.Event.Id, c.Event.Sequence, c.Event.Timestamp));
        var emitted = events.Select(e => existing.TryGetValue(e.Id, out var old) ? old : stored[e.Id]).ToList();
        return new AppendResult(emitted, committed);
    }

    public async Task<List<CommittedEvent>> ReadAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var conditions = new List<string> { "sequence > $1" };
        var command = new NpgsqlCommand { Parameters = { new NpgsqlParameter { Value = query.After } } };

        void Where(string condition, object value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            conditions.Add(condition.Replace("@", "$" + command.Parameters.Count, StringComparison.Ordinal));
        }

        if (query.Types is not null)
        {
            Where("type = ANY(@)", query.Types);
        }

        if (query.UpTo is { } upTo)
        {
            Where("sequence <= @", upTo);
        }

        if (query.Since is { } since)
        {
            Where("timestamp >= @", since.UtcDateTime);
        }

        if (query.Until is { } until)
        {
            Where("timestamp < @", until.UtcDateTime);
        }

        if (query.AgentId is { } agentId)
        {
            Where("agent_id = @", agentId);
        }

        command.CommandText = $"""
            SELECT {Columns} FROM kavach_stream_events
            WHERE {string.Join(" AND ", conditions)}
            ORDER BY sequence {(query.NewestFirst ? "DESC" : "ASC")}
            LIMIT {query.Limit}
            """;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        command.Connection = connection;
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var events = new List<CommittedEvent>();
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add(ReadEvent(reader));
            }

            return events;
        }
    }

    /// <summary>The oldest kept sequence (null when nothing is kept) and the last one ever assigned.</summary>
    public async Task<(long? Oldest, long Last)> GetBoundsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT (SELECT min(sequence) FROM kavach_stream_events), (SELECT last_value FROM kavach_stream_sequence)");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Deletes events committed before the cutoff. Commit time rises with sequence, so what is left is a suffix
    /// of the stream and a cursor below it is known to be expired.
    /// </summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM kavach_stream_events WHERE committed_at < $1");
        command.Parameters.Add(new NpgsqlParameter { Value = cutoff.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static CommittedEvent ReadEvent(NpgsqlDataReader reader)
    {
        using var data = JsonDocument.Parse(reader.GetString(4));
        var @event = new StreamEvent(
            Id: reader.GetString(1),
            Type: reader.GetString(2),
            Timestamp: reader.GetFieldValue<DateTimeOffset>(3),
            Data: data.RootElement.Clone(),
            AgentId: reader.IsDBNull(5) ? null : reader.GetString(5),
            UserId: reader.IsDBNull(6) ? null : reader.GetString(6),
            Sequence: reader.GetInt64(0));
        return new CommittedEvent(@event, reader.GetFieldValue<DateTimeOffset>(7));
    }
}
