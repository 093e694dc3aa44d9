using Kavach.StreamApi.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Integrity;

/// <summary>What the chain needs from PostgreSQL: its head, the checkpoints and their keys, and a snapshot to verify.</summary>
public sealed class ChainStore(NpgsqlDataSource dataSource, HistoryDataSource history)
{
    /// <summary>The last committed sequence and the chain's hash there (null before the first chained commit).</summary>
    public Task<ChainHead> ReadHeadAsync(CancellationToken cancellationToken) => ReadHeadAsync(dataSource.CreateCommand, cancellationToken);

    /// <summary>One consistent view of the stored chain, on the history pool (verification reads like a page does).</summary>
    public Task<ChainSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken) => ChainSnapshot.OpenAsync(history.DataSource, cancellationToken);

    public Task<List<EpochStart>> ReadEpochsAsync(CancellationToken cancellationToken) =>
        EpochStart.ReadAllAsync(dataSource.CreateCommand(EpochStart.SelectAll), cancellationToken);

    public async Task AddKeyAsync(CheckpointKey key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO kavach_checkpoint_keys (key_id, algorithm, public_key) VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = key.KeyId });
        command.Parameters.Add(new NpgsqlParameter { Value = SignedCheckpoint.Algorithm });
        command.Parameters.Add(new NpgsqlParameter { Value = key.PublicKeyPem });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<List<CheckpointKeyView>> ReadKeysAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT key_id, algorithm, public_key, added_at FROM kavach_checkpoint_keys ORDER BY added_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<CheckpointKeyView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new CheckpointKeyView(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return keys;
    }

    /// <summary>
    /// False when another replica signed the same place, or signed from the same predecessor, first: a checkpoint has one
    /// successor, so the checkpoints' own chain never forks.
    /// </summary>
    public async Task<bool> AddCheckpointAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO kavach_checkpoints (epoch, sequence, hash, signed_at, key_id, signature,
                                            tree_size, tree_root, previous_epoch, previous_sequence, previous_digest)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT DO NOTHING
            """);
        var links = checkpoint.Links;
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Epoch });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Sequence });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Hash });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.SignedAt.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.KeyId });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Signature });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)links?.TreeSize ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)links?.TreeRoot ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)links?.PreviousEpoch ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)links?.PreviousSequence ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)links?.PreviousDigest ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The newest checkpoints first, or those with a sequence in (<paramref name="after"/>, <paramref name="upTo"/>] in order.</summary>
    public Task<List<SignedCheckpoint>> ReadCheckpointsAsync(Guid streamId, long after, long upTo, int limit, bool newestFirst,
        CancellationToken cancellationToken) =>
        ReadCheckpointsAsync(dataSource.CreateCommand, streamId, after, upTo, limit, newestFirst, cancellationToken);

    /// <summary>The newest checkpoints signed before <paramref name="before"/>, newest first.</summary>
    public async Task<List<SignedCheckpoint>> ReadSignedBeforeAsync(Guid streamId, DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        return await ReadCheckpointsAsync(dataSource.CreateCommand, streamId, 0, long.MaxValue, limit, newestFirst: true, cancellationToken,
            signedBefore: before);
    }

    // The reads a snapshot shares with the pool: the same SQL on whichever connection makes the command.
    internal static async Task<ChainHead> ReadHeadAsync(Func<string, NpgsqlCommand> commandFor, CancellationToken cancellationToken)
    {
        await using var command = commandFor("SELECT stream_id, epoch, last_value, chain_hashes[cardinality(chain_hashes)] FROM kavach_stream_sequence");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ChainHead(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3));
    }

    internal static async Task<List<SignedCheckpoint>> ReadCheckpointsAsync(Func<string, NpgsqlCommand> commandFor, Guid streamId, long after,
        long upTo, int limit, bool newestFirst, CancellationToken cancellationToken, DateTimeOffset? signedBefore = null)
    {
        await using var command = commandFor($"""
            SELECT epoch, sequence, hash, signed_at, key_id, signature, tree_size, tree_root, previous_epoch, previous_sequence, previous_digest
            FROM kavach_checkpoints
            WHERE sequence > $1 AND sequence <= $2 AND signed_at < $4
            ORDER BY epoch {(newestFirst ? "DESC" : "ASC")}, sequence {(newestFirst ? "DESC" : "ASC")} LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        command.Parameters.Add(new NpgsqlParameter { Value = (signedBefore ?? DateTimeOffset.MaxValue).UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var checkpoints = new List<SignedCheckpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var links = reader.IsDBNull(6) ? null : new CheckpointLinks(reader.GetInt64(6), reader.GetFieldValue<byte[]>(7),
                reader.GetInt64(8), reader.GetInt64(9), reader.GetFieldValue<byte[]>(10));
            checkpoints.Add(new SignedCheckpoint(streamId, reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.GetFieldValue<byte[]>(5), links));
        }

        return checkpoints;
    }
}

public sealed record ChainHead(Guid StreamId, long Epoch, long Sequence, byte[]? Hash);

/// <summary>A stored row as verification reads it: the columns readers filter on, the body as served, its hash.</summary>
public sealed record ChainRow(long Sequence, string Id, string Type, DateTimeOffset Timestamp, string? AgentId, string? UserId,
    string Body, byte[]? Hash);
