using System.Data;
using Kavach.StreamApi.Persistence;
using Npgsql;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// One consistent view of the stored chain for one verification: a REPEATABLE READ transaction, so every read sees the
/// same commits. A commit or a retention batch landing between two reads can then never look like an event stored
/// beyond the head, or one missing from the range.
/// </summary>
public sealed class ChainSnapshot : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private ChainSnapshot(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<ChainSnapshot> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return new ChainSnapshot(connection, await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task<ChainHead> ReadHeadAsync(CancellationToken cancellationToken) => ChainStore.ReadHeadAsync(Command, cancellationToken);

    public Task<List<SignedCheckpoint>> ReadCheckpointsAsync(Guid streamId, long after, long upTo, CancellationToken cancellationToken) =>
        ChainStore.ReadCheckpointsAsync(Command, streamId, after, upTo, int.MaxValue, newestFirst: false, cancellationToken);

    public Task<List<EpochStart>> ReadEpochsAsync(CancellationToken cancellationToken) =>
        EpochStart.ReadAllAsync(Command(EpochStart.SelectAll), cancellationToken);

    /// <summary>What retention removed last: the sequence and hash of the newest pruned event, and the checkpoint it prunes up to.</summary>
    public async Task<RetentionAnchor?> ReadAnchorAsync(CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT sequence, hash, bound_to FROM kavach_chain_anchor");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new RetentionAnchor(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetInt64(2))
            : null;
    }

    /// <summary>Rows with a sequence in (<paramref name="after"/>, <paramref name="upTo"/>], in order, every column verification needs.</summary>
    public async Task<List<ChainRow>> ReadRowsAsync(long after, long upTo, int limit, CancellationToken cancellationToken)
    {
        await using var command = Command("""
            SELECT sequence, id, type, timestamp, agent_id, user_id, body, hash FROM kavach_stream_events
            WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ChainRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ChainRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7)));
        }

        return rows;
    }

    /// <summary>When each of the given sequences (those stored) was committed.</summary>
    public async Task<Dictionary<long, DateTimeOffset>> ReadCommittedAtAsync(long[] sequences, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT sequence, committed_at FROM kavach_stream_events WHERE sequence = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = sequences });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var committed = new Dictionary<long, DateTimeOffset>();
        while (await reader.ReadAsync(cancellationToken))
        {
            committed[reader.GetInt64(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        return committed;
    }

    /// <summary>The lowest sequence stored above <paramref name="after"/>, if any.</summary>
    public async Task<long?> ReadFirstAboveAsync(long after, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT min(sequence) FROM kavach_stream_events WHERE sequence > $1");
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        return await command.ExecuteScalarAsync(cancellationToken) is long sequence ? sequence : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync(); // rolls back: nothing was written
        await _connection.DisposeAsync();
    }

    private NpgsqlCommand Command(string sql) => new(sql, _connection, _transaction);
}

/// <summary>Retention's anchor: the newest removed event's sequence and hash, and the checkpoint's sequence it removes up to.</summary>
public sealed record RetentionAnchor(long Sequence, byte[]? Hash, long? BoundTo);
