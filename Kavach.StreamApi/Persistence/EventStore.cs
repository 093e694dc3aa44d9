using System.Data;
using System.Runtime.CompilerServices;
using Kavach.StreamApi.Events;
using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// One emit handed to a group commit: its events, who emits them, and the revocation its events record (the
/// revocations API's), written in the same transaction as each of them.
/// </summary>
public sealed record EmitBatch(IReadOnlyList<ValidatedEvent> Events, Emitter Emitter, RevocationOrder? Revokes = null);

/// <summary>
/// What an append did: an answer for every requested event, and the events it newly committed, in the epoch it saw —
/// or, when <see cref="Conflicts"/> is not empty, the ids another emitter owns, and nothing stored. <see cref="Revoked"/>
/// holds the revocations its newly committed events wrote, when the commit's answer was read (not after an ambiguous commit).
/// </summary>
public sealed record AppendResult(IReadOnlyList<EmittedEvent> Emitted, IReadOnlyList<StoredEvent> Committed, long Epoch,
    IReadOnlyList<string> Conflicts, IReadOnlyList<Revocation>? Revoked = null);

/// <summary>How a group commit went, for the metrics: its events, the wait for the sequence lock, the whole round trip.</summary>
public readonly record struct CommitTiming(int Events, TimeSpan LockWait, TimeSpan Duration);

/// <summary>
/// The <c>kavach_stream_events</c> table and its sequence: append with gap-free sequences, reads by sequence, and
/// the stream's head and epochs. Emits and the hub use the main pool; history reads use their own.
/// </summary>
public sealed class EventStore(NpgsqlDataSource dataSource, HistoryDataSource history) : ICommittedStream, ICommitStore, IStreamHistory
{
    private const string Columns = "sequence, id, type, timestamp, agent_id, user_id, committed_at, body, hash";

    /// <summary>
    /// One statement, so one round trip, that commits a group of emits (concurrent ones, gathered by the committer)
    /// together: ids already stored are found before the sequence lock is taken and answer with their original sequence
    /// — unless another emitter stored them, which refuses the whole emit that mentions them (nothing of it is stored);
    /// the lock is held only for claiming the sequences, the insert and the commit's fsync, which all events of the group
    /// share. An event that revokes (an admin's <c>agent.revoked</c>, or the record of a revocation the revocations API
    /// makes) writes its revocation in the same transaction, its id claimed first so the answer can name it. Refuses (storing
    /// nothing) when the database is behind <c>delivered</c>: it went backwards.
    /// </summary>
    private const string AppendSql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                                 $9::int[], $10::text[], $11::text[],
                                 $14::text[], $15::text[], $16::text[], $17::interval[])
                WITH ORDINALITY AS t(id, type, timestamp, agent_id, user_id, body, emit, emitter, revoke_kind,
                                     revoke_value, revoke_reason, revoked_by, revoke_keep, ord)),
        checked AS (
            -- One index lookup per id. LIMIT keeps the planner from turning this into a join that scans the table,
            -- a plan it would cache on an empty table and keep while the table grows.
            SELECT input.*, stored.sequence AS stored_sequence, stored.timestamp AS stored_timestamp, stored.emitted_by AS stored_by
            FROM input LEFT JOIN LATERAL (
                SELECT e.sequence, e.timestamp, e.emitted_by FROM kavach_stream_events e WHERE e.id = input.id LIMIT 1) stored ON true),
        mentions AS (
            -- Each id is sent once, for the first emit that mentions it; later emits of the same emitter mention it too.
            SELECT emit, id FROM input UNION ALL SELECT * FROM unnest($12::int[], $13::text[])),
        refused AS (
            SELECT DISTINCT m.emit, c.id FROM mentions m JOIN checked c ON c.id = m.id
            WHERE c.stored_sequence IS NOT NULL AND c.stored_by IS DISTINCT FROM c.emitter),
        fresh AS (
            -- An id is stored when an emit that mentions it is not refused. With no refusal, the usual case, that is every
            -- emit, and the search per id (quadratic in the group's size) is skipped.
            SELECT checked.*, row_number() OVER (ORDER BY ord) AS n FROM checked
            WHERE stored_sequence IS NULL
              AND (NOT EXISTS (SELECT 1 FROM refused)
                   OR EXISTS (SELECT 1 FROM mentions m WHERE m.id = checked.id AND m.emit NOT IN (SELECT emit FROM refused)))),
        bodies AS (
            SELECT count(*) AS count, array_agg(body ORDER BY n) AS bodies FROM fresh),
        claimed AS (
            -- The row lock orders commits; the chain continues from the last hash the previous commit left here.
            UPDATE kavach_stream_sequence SET last_value = last_value + b.count,
                chain_hashes = kavach_chain(chain_hashes[cardinality(chain_hashes)], last_value, epoch, b.bodies)
            FROM bodies b
            WHERE b.count > 0 AND (epoch > $7 OR (epoch = $7 AND last_value >= $8))
            RETURNING last_value - b.count AS base, epoch, chain_hashes, clock_timestamp() - statement_timestamp() AS lock_wait),
        inserted AS (
            INSERT INTO kavach_stream_events (sequence, id, type, timestamp, agent_id, user_id, body, hash, emitted_by)
            SELECT c.base + fresh.n, fresh.id, fresh.type, fresh.timestamp, fresh.agent_id, fresh.user_id, fresh.body,
                c.chain_hashes[fresh.n::int], fresh.emitter
            FROM fresh CROSS JOIN claimed c
            RETURNING sequence, id, committed_at, hash),
        revoking AS (
            -- Referenced twice, so evaluated once: each revocation's id is claimed once, for the insert and the answer.
            SELECT f.id AS event_id, nextval('kavach_revocations_id_seq') AS revocation_id, f.revoke_kind, f.revoke_value,
                f.revoke_reason, f.revoked_by, i.committed_at AS revoked_at, i.committed_at + f.revoke_keep AS expires_at
            FROM fresh f JOIN inserted i ON i.id = f.id
            WHERE f.revoke_kind IS NOT NULL),
        revoked AS (
            INSERT INTO kavach_revocations (id, kind, value, reason, revoked_by, revoked_at, expires_at)
            SELECT revocation_id, revoke_kind, revoke_value, revoke_reason, revoked_by, revoked_at, expires_at FROM revoking)
        SELECT 1 AS kind, i.id, i.sequence, NULL::timestamptz AS timestamp, i.committed_at, c.epoch, c.lock_wait, i.hash
            FROM inserted i CROSS JOIN claimed c
        UNION ALL
        SELECT 2, id, stored_sequence, stored_timestamp, NULL, NULL, NULL, NULL FROM checked WHERE stored_sequence IS NOT NULL
        UNION ALL
        SELECT 3, NULL, s.last_value, NULL, NULL, s.epoch, NULL, NULL
            FROM kavach_stream_sequence s WHERE EXISTS (SELECT 1 FROM fresh) AND NOT EXISTS (SELECT 1 FROM claimed)
        UNION ALL
        SELECT 4, id, emit, NULL, NULL, NULL, NULL, NULL FROM refused
        UNION ALL
        SELECT 5, event_id, revocation_id, revoked_at, expires_at, NULL, NULL, NULL FROM revoking
        """;

    /// <summary>
    /// Commits every emit of the group that is not stored yet, in one transaction, in group order; the answer for each
    /// emit says what happened to each of its events, or which of its ids another emitter owns (then nothing of it was
    /// stored). Nothing is cancelled once sent: the statement is bounded by the database timeouts instead.
    /// </summary>
    /// <param name="revocationKeep">How long an agent revocation an admin's <c>agent.revoked</c> writes is kept.</param>
    /// <exception cref="StreamRegressionException">The database is behind <paramref name="delivered"/>; nothing was stored.</exception>
    /// <exception cref="AmbiguousCommitException">The connection failed while the statement (and its commit) ran.</exception>
    public async Task<(IReadOnlyList<AppendResult> Results, CommitTiming Timing)> AppendAsync(
        IReadOnlyList<EmitBatch> group, StreamPosition delivered, TimeSpan revocationKeep, CancellationToken cancellationToken)
    {
        // Each id is sent once, for the first emit that mentions it. An emit that mentions an id an earlier emit of
        // another emitter mentioned is refused here; one of the same emitter answers with the earlier one's sequence.
        var first = new Dictionary<string, (ValidatedEvent Event, int Emit)>(StringComparer.Ordinal);
        var extraMentions = new List<(int Emit, string Id)>();
        var refusedHere = new Dictionary<int, List<string>>();
        for (var b = 0; b < group.Count; b++)
        {
            var emitter = group[b].Emitter.Id;
            var taken = group[b].Events.Where(e => first.TryGetValue(e.Id, out var earlier) && group[earlier.Emit].Emitter.Id != emitter)
                .Select(e => e.Id).ToList();
            if (taken.Count > 0)
            {
                refusedHere[b] = taken;
                continue;
            }

            foreach (var e in group[b].Events)
            {
                if (!first.TryAdd(e.Id, (e, b)))
                {
                    extraMentions.Add((b, e.Id));
                }
            }
        }

        var input = first.Values.ToList();
        var orders = input.Select(i => group[i.Emit].Revokes ?? AgentRevocation(i.Event, group[i.Emit].Emitter, revocationKeep)).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(AppendSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = input.Select(i => i.Event.Id).ToArray() },
                new NpgsqlParameter { Value = input.Select(i => i.Event.Type).ToArray() },
                new NpgsqlParameter { Value = input.Select(i => i.Event.Timestamp.UtcDateTime).ToArray() },
                new NpgsqlParameter { Value = input.Select(i => i.Event.AgentId).ToArray() },
                new NpgsqlParameter { Value = input.Select(i => i.Event.UserId).ToArray() },
                new NpgsqlParameter { Value = input.Select(i => i.Event.Body).ToArray() },
                new NpgsqlParameter { Value = delivered.Epoch },
                new NpgsqlParameter { Value = delivered.Sequence },
                new NpgsqlParameter { Value = input.Select(i => i.Emit).ToArray() },
                new NpgsqlParameter { Value = input.Select(i => group[i.Emit].Emitter.Id).ToArray() },
                new NpgsqlParameter { Value = orders.Select(o => o is null ? null : RevocationStore.Kind(o.Kind)).ToArray() },
                new NpgsqlParameter { Value = extraMentions.Select(m => m.Emit).ToArray() },
                new NpgsqlParameter { Value = extraMentions.Select(m => m.Id).ToArray() },
                new NpgsqlParameter { Value = orders.Select(o => o?.Value).ToArray() },
                new NpgsqlParameter { Value = orders.Select(o => o?.Reason).ToArray() },
                new NpgsqlParameter { Value = orders.Select(o => o?.RevokedBy).ToArray() },
                new NpgsqlParameter { Value = orders.Select(o => o?.KeepFor ?? TimeSpan.Zero).ToArray() },
            },
        };

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var inserted = new Dictionary<string, (long Sequence, DateTimeOffset CommittedAt, byte[] Hash)>(StringComparer.Ordinal);
        var existing = new Dictionary<string, EmittedEvent>(StringComparer.Ordinal);
        var revoked = new Dictionary<string, (long Id, DateTimeOffset At, DateTimeOffset Expires)>(StringComparer.Ordinal);
        long epoch = delivered.Epoch;
        var lockWait = TimeSpan.Zero;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
            while (await reader.ReadAsync(CancellationToken.None))
            {
                switch (reader.GetInt32(0))
                {
                    case 1:
                        inserted[reader.GetString(1)] = (reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<byte[]>(7));
                        epoch = reader.GetInt64(5);
                        lockWait = reader.GetTimeSpan(6);
                        break;
                    case 2:
                        var id = reader.GetString(1);
                        existing[id] = new EmittedEvent(id, reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3));
                        break;
                    case 3:
                        throw new StreamRegressionException(new StreamPosition(reader.GetInt64(5), reader.GetInt64(2)), delivered);
                    case 4:
                        var emit = (int)reader.GetInt64(2);
                        (refusedHere.TryGetValue(emit, out var taken) ? taken : refusedHere[emit] = []).Add(reader.GetString(1));
                        break;
                    case 5:
                        revoked[reader.GetString(1)] = (reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4));
                        break;
                }
            }
        }
        catch (Exception e) when (DatabaseFailures.LeftCommitUnknown(e))
        {
            // PostgreSQL answering with an error means nothing was committed; anything else leaves the outcome unknown.
            throw new AmbiguousCommitException([.. input.Select(i => i.Event.Id)], e);
        }

        var timing = new CommitTiming(inserted.Count, lockWait, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var results = new List<AppendResult>(group.Count);
        for (var b = 0; b < group.Count; b++)
        {
            if (refusedHere.TryGetValue(b, out var taken))
            {
                results.Add(new AppendResult([], [], epoch, taken));
                continue;
            }

            var events = group[b].Events;
            var emitted = new List<EmittedEvent>(events.Count);
            var committed = new List<StoredEvent>();
            var revocations = new List<Revocation>();
            foreach (var e in events)
            {
                if (inserted.TryGetValue(e.Id, out var row))
                {
                    emitted.Add(new EmittedEvent(e.Id, row.Sequence, e.Timestamp));
                    if (claimed.Add(e.Id))
                    {
                        committed.Add(new StoredEvent(row.Sequence, e.Id, e.Type, e.AgentId, e.UserId, e.Timestamp, row.CommittedAt, e.Body, row.Hash));
                        if (revoked.TryGetValue(e.Id, out var revocation)
                            && (group[b].Revokes ?? AgentRevocation(e, group[b].Emitter, revocationKeep)) is { } order)
                        {
                            revocations.Add(new Revocation(revocation.Id, order.Kind, order.Value, order.Reason, order.RevokedBy,
                                revocation.At, revocation.Expires));
                        }
                    }
                }
                else
                {
                    emitted.Add(existing[e.Id]);
                }
            }

            results.Add(new AppendResult(emitted, committed, epoch, [], revocations));
        }

        return (results, timing);
    }

    /// <summary>An admin's <c>agent.revoked</c> revokes its agent (<see cref="Emitter.Revokes"/>); other events revoke nothing by themselves.</summary>
    private static RevocationOrder? AgentRevocation(ValidatedEvent e, Emitter emitter, TimeSpan keepFor) =>
        emitter.Revokes(e) ? new RevocationOrder(RevocationKind.Agent, e.AgentId!, $"agent.revoked event {e.Id}", emitter.Id, keepFor) : null;

    /// <summary>
    /// After an ambiguous commit: waits for the sequence lock (so no transaction that could still commit them is in
    /// flight), then reads which of the ids are stored. All or none are, since a commit is atomic.
    /// </summary>
    public async Task<List<(StoredEvent Event, string? EmittedBy)>> FindCommittedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1 FROM kavach_stream_sequence FOR SHARE"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT {Columns}, emitted_by FROM kavach_stream_events WHERE id = ANY($1) ORDER BY sequence")
        {
            Parameters = { new NpgsqlParameter { Value = ids.ToArray() } },
        });

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var events = new List<(StoredEvent, string?)>();
        var emittedBy = reader.GetOrdinal("emitted_by");
        while (await reader.ReadAsync(cancellationToken))
        {
            var stored = await ReadEventAsync(reader, cancellationToken);
            events.Add((stored, reader.IsDBNull(emittedBy) ? null : reader.GetString(emittedBy)));
        }

        return events;
    }

    /// <summary>Reads committed events from the main pool (the hub) or the history pool (streams, pages, replay).</summary>
    public async Task<List<StoredEvent>> ReadAsync(EventQuery query, CancellationToken cancellationToken, bool fromHistoryPool = false)
    {
        var events = new List<StoredEvent>();
        await foreach (var e in ReadEachAsync(query, fromHistoryPool, cancellationToken))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>
    /// The same read, one event at a time as PostgreSQL sends it, holding one row in memory: for answers written while
    /// they are read (pages, replay). The connection is held until the enumeration ends.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> ReadEachAsync(EventQuery query, bool fromHistoryPool,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Select(query);
        await using var connection = await (fromHistoryPool ? history.DataSource : dataSource).OpenConnectionAsync(cancellationToken);
        command.Connection = connection;
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return await ReadEventAsync(reader, cancellationToken);
        }
    }

    /// <summary>The one place a read of events becomes SQL.</summary>
    private static NpgsqlCommand Select(EventQuery query)
    {
        var conditions = new List<string> { "sequence > $1" };
        var command = new NpgsqlCommand { Parameters = { new NpgsqlParameter { Value = query.After } } };

        void Where(string condition, object value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            conditions.Add(condition.Replace("@", "$" + command.Parameters.Count, StringComparison.Ordinal));
        }

        if (query.Scope is { } scope)
        {
            Where("type = ANY(@)", scope.Types.Types);
            if (scope.NarrowsParties)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = scope.GrantedAgents?.ToArray() ?? [] });
                command.Parameters.Add(new NpgsqlParameter { Value = scope.GrantedUsers?.ToArray() ?? [] });
                conditions.Add($"(agent_id = ANY(${command.Parameters.Count - 1}) OR user_id = ANY(${command.Parameters.Count}))");
            }

            if (scope.AgentId is { } agentId)
            {
                Where("agent_id = @", agentId);
            }

            if (scope.UserId is { } userId)
            {
                Where("user_id = @", userId);
            }
        }

        if (query.TextPattern is { } pattern)
        {
            // Backed by the trigram index (migration 13); the pattern's wildcards are escaped with a backslash.
            Where("body ILIKE @ ESCAPE '\\'", pattern);
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

        command.CommandText = $"""
            SELECT {Columns} FROM kavach_stream_events
            WHERE {string.Join(" AND ", conditions)}
            ORDER BY sequence {(query.NewestFirst ? "DESC" : "ASC")}
            LIMIT {query.Limit}
            """;
        return command;
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

    public Task<List<EpochStart>> ReadEpochsAsync(CancellationToken cancellationToken) =>
        EpochStart.ReadAllAsync(dataSource.CreateCommand(EpochStart.SelectAll), cancellationToken);

    /// <summary>
    /// Begins a new epoch, unless another replica already moved the database past <paramref name="seenEpoch"/>. The new
    /// epoch is above both the database's and <paramref name="atLeast"/> (the highest any hub has seen) and shares the
    /// history up to <paramref name="startsAfter"/> (never beyond the database's last sequence). It records that last
    /// sequence too: holding the sequence row's lock, no commit is between it and the new epoch, so every event up to it
    /// was hashed in the epoch before and every later one in this.
    /// </summary>
    public async Task BeginEpochAsync(long seenEpoch, long atLeast, long startsAfter, string reason, CancellationToken cancellationToken)
    {
        // Through the owner's function (migration 10): the service's role may not UPDATE the epochs it recorded.
        await using var command = dataSource.CreateCommand("SELECT kavach_begin_epoch($1, $2, $3, $4)");
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

    /// <summary>A row of <see cref="Columns"/>, its columns read in order (a sequential read allows nothing else).</summary>
    private static async ValueTask<StoredEvent> ReadEventAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var sequence = reader.GetInt64(0);
        var id = reader.GetString(1);
        var type = reader.GetString(2);
        var timestamp = reader.GetFieldValue<DateTimeOffset>(3);
        var agentId = await reader.IsDBNullAsync(4, cancellationToken) ? null : reader.GetString(4);
        var userId = await reader.IsDBNullAsync(5, cancellationToken) ? null : reader.GetString(5);
        var committedAt = reader.GetFieldValue<DateTimeOffset>(6);
        var body = await reader.GetFieldValueAsync<string>(7, cancellationToken);
        var hash = await reader.IsDBNullAsync(8, cancellationToken) ? null : await reader.GetFieldValueAsync<byte[]>(8, cancellationToken);
        return new StoredEvent(sequence, id, type, agentId, userId, timestamp, committedAt, body, hash);
    }

    async Task<long> IStreamHistory.ReadLastAsync(CancellationToken cancellationToken) => (await ReadHeadAsync(cancellationToken)).Last;

    Task<List<StoredEvent>> IStreamHistory.ReadPageAsync(EventQuery query, CancellationToken cancellationToken) =>
        ReadAsync(query, cancellationToken, fromHistoryPool: true);
}
