using System.Text.Json;
using Kavach.StreamApi.Events;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Persistence;

/// <summary>A committed event with its commit time (internal: for latency and retention).</summary>
public sealed record CommittedEvent(StreamEvent Event, DateTimeOffset CommittedAt);

/// <summary>What an append did: an answer for every requested event, and the events it newly committed, in the epoch it saw.</summary>
public sealed record AppendResult(IReadOnlyList<EmittedEvent> Emitted, IReadOnlyList<CommittedEvent> Committed, long Epoch);

/// <summary>
/// The <c>kavach_stream_events</c> table and its sequence: append with gap-free sequences, reads by sequence, and
/// the stream's head and epochs. Emits and the hub use the main pool; history reads use their own.
/// </summary>
public sealed class EventStore(NpgsqlDataSource dataSource, HistoryDataSource history)
{
    private const string Columns = "sequence, id, type, timestamp, data::text, agent_id, user_id, committed_at";

    /// <summary>Emit caps data nesting well below this; rows stored before that rule must still be readable.</summary>
    private static readonly JsonDocumentOptions StoredData = new() { MaxDepth = StreamEvent.MaxStoredDepth };

    /// <summary>
    /// Commits the events that are not stored yet, in one transaction holding the sequence row lock. Ids already
    /// stored answer with their original sequence, so a retried emit is stored and delivered once. Refuses (with
    /// <see cref="StreamRegressionException"/>, storing nothing) when the database is behind <paramref name="delivered"/>.
    /// Once the lock is held nothing is cancelled: the statements are bounded by the database timeouts instead.
    /// </summary>
    /// <exception cref="AmbiguousCommitException">The connection failed during COMMIT.</exception>
    public async Task<AppendResult> AppendAsync(IReadOnlyList<NewEvent> events, StreamPosition delivered, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);

        long lastSequence, epoch;
        var existing = new Dictionary<string, EmittedEvent>(StringComparer.Ordinal);
        await using (var read = new NpgsqlBatch(connection, transaction))
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand("SELECT last_value, epoch FROM kavach_stream_sequence FOR UPDATE"));
            read.BatchCommands.Add(new NpgsqlBatchCommand(
                "SELECT id, sequence, timestamp FROM kavach_stream_events WHERE id = ANY($1)")
            {
                Parameters = { new NpgsqlParameter { Value = events.Select(e => e.Id).ToArray() } },
            });

            await using var reader = await read.ExecuteReaderAsync(CancellationToken.None);
            await reader.ReadAsync(CancellationToken.None);
            lastSequence = reader.GetInt64(0);
            epoch = reader.GetInt64(1);
            await reader.NextResultAsync(CancellationToken.None);
            while (await reader.ReadAsync(CancellationToken.None))
            {
                var id = reader.GetString(0);
                existing[id] = new EmittedEvent(id, reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2));
            }
        }

        if (epoch < delivered.Epoch || (epoch == delivered.Epoch && lastSequence < delivered.Sequence))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            throw new StreamRegressionException(new StreamPosition(epoch, lastSequence), delivered);
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

            await using var reader = await write.ExecuteReaderAsync(CancellationToken.None);
            while (await reader.ReadAsync(CancellationToken.None))
            {
                committed.Add(ReadEvent(reader));
            }
        }

        try
        {
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is (NpgsqlException or TimeoutException) and not PostgresException && fresh.Count > 0)
        {
            // PostgreSQL answering with an error means it rolled back; anything else leaves the outcome unknown.
            throw new AmbiguousCommitException([.. fresh.Select(f => f.Id)], e);
        }

        committed.Sort((a, b) => a.Event.Sequence.CompareTo(b.Event.Sequence));
        var stored = committed.ToDictionary(c => c.Event.Id, c => new EmittedEvent(c.Event.Id, c.Event.Sequence, c.Event.Timestamp));
        var emitted = events.Select(e => existing.TryGetValue(e.Id, out var old) ? old : stored[e.Id]).ToList();
        return new AppendResult(emitted, committed, epoch);
    }

    /// <summary>
    /// After an ambiguous commit: waits for the sequence lock (so no transaction that could still commit them is in
    /// flight), then reads which of the ids are stored. All or none are, since a commit is atomic.
    /// </summary>
    public async Task<List<CommittedEvent>> FindCommittedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1 FROM kavach_stream_sequence FOR SHARE"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT {Columns} FROM kavach_stream_events WHERE id = ANY($1) ORDER BY sequence")
        {
            Parameters = { new NpgsqlParameter { Value = ids.ToArray() } },
        });

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var events = new List<CommittedEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(ReadEvent(reader));
        }

        return events;
    }

    /// <summary>Reads committed events from the main pool (the hub) or the history pool (streams, pages, replay).</summary>
    public async Task<List<CommittedEvent>> ReadAsync(EventQuery query, CancellationToken cancellationToken, bool fromHistoryPool = false)
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

        await using var connection = await (fromHistoryPool ? history.DataSource : dataSource).OpenConnectionAsync(cancellationToken);
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

    /// <summary>The stream's identity, epoch, last assigned sequence and oldest kept one.</summary>
    public async Task<StreamHead> ReadHeadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT stream_id, epoch, epoch_starts_after, last_value, (SELECT min(sequence) FROM kavach_stream_events)
            FROM kavach_stream_sequence
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new StreamHead(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4));
    }

    /// <summary>
    /// The first sequence a reader can still get (the oldest kept, or the next one when nothing is kept), from the
    /// history pool: a stream about to catch up from PostgreSQL.
    /// </summary>
    public async Task<long> ReadFirstKeptAsync(CancellationToken cancellationToken)
    {
        await using var command = history.DataSource.CreateCommand(
            "SELECT coalesce((SELECT min(sequence) FROM kavach_stream_events), (SELECT last_value + 1 FROM kavach_stream_sequence))");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<List<EpochStart>> ReadEpochsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT epoch, starts_after FROM kavach_stream_epochs ORDER BY epoch");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var epochs = new List<EpochStart>();
        while (await reader.ReadAsync(cancellationToken))
        {
            epochs.Add(new EpochStart(reader.GetInt64(0), reader.GetInt64(1)));
        }

        return epochs;
    }

    /// <summary>
    /// Begins a new epoch, unless another replica already moved the database past <paramref name="seenEpoch"/>. The new
    /// epoch is above both the database's and <paramref name="atLeast"/> (the highest any hub has seen) and shares the
    /// history up to <paramref name="startsAfter"/> (never beyond the database's last sequence).
    /// </summary>
    public async Task BeginEpochAsync(long seenEpoch, long atLeast, long startsAfter, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH begun AS (
                UPDATE kavach_stream_sequence
                SET epoch = GREATEST(epoch + 1, $2), epoch_starts_after = LEAST($3, last_value)
                WHERE epoch = $1
                RETURNING epoch, epoch_starts_after)
            INSERT INTO kavach_stream_epochs (epoch, starts_after, reason)
            SELECT epoch, epoch_starts_after, $4 FROM begun
            ON CONFLICT (epoch) DO UPDATE SET starts_after = EXCLUDED.starts_after, reason = EXCLUDED.reason, began_at = clock_timestamp()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = seenEpoch });
        command.Parameters.Add(new NpgsqlParameter { Value = atLeast });
        command.Parameters.Add(new NpgsqlParameter { Value = startsAfter });
        command.Parameters.Add(new NpgsqlParameter { Value = reason });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The ids stored at the sequences in the range, to compare with what a hub delivered.</summary>
    public async Task<Dictionary<long, string>> ReadIdsAsync(long from, long to, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT sequence, id FROM kavach_stream_events WHERE sequence BETWEEN $1 AND $2");
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new Dictionary<long, string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids[reader.GetInt64(0)] = reader.GetString(1);
        }

        return ids;
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
        using var data = JsonDocument.Parse(reader.GetString(4), StoredData);
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
