using Kavach.StreamApi.Persistence;
using Npgsql;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>
/// The tree in PostgreSQL (<c>kavach_merkle_blocks</c>, migration 9): blocks written on the tree's own pool, read for
/// proofs on the history pool like any other history read; and the events the tree's leaves come from.
/// </summary>
public sealed class TreeStore(TreeDataSource tree, HistoryDataSource historyPool, EventStore events) : ITreeStore
{
    private const int PageSize = 1000;


    public async Task<TreeHistory> ReadHistoryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await tree.DataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT epoch, (SELECT starts_after FROM kavach_merkle_tree) FROM kavach_stream_sequence"),
                new NpgsqlBatchCommand(EpochStart.SelectAll),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var epoch = reader.GetInt64(0);
        var startsAfter = reader.IsDBNull(1)
            ? throw new InvalidOperationException("kavach_merkle_tree has no row: where the tree begins is not recorded (migration 9 writes it).")
            : reader.GetInt64(1);
        await reader.NextResultAsync(cancellationToken);
        var epochs = new List<EpochStart>();
        while (await reader.ReadAsync(cancellationToken))
        {
            epochs.Add(EpochStart.Read(reader));
        }

        return new TreeHistory(epoch, startsAfter, epochs);
    }

    public async Task<long> ReadEpochAsync(CancellationToken cancellationToken)
    {
        await using var command = tree.DataSource.CreateCommand("SELECT epoch FROM kavach_stream_sequence");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<List<TreeBlock>> ReadBlocksAsync(IReadOnlyCollection<BlockWant> wants, TreeHistory history, CancellationToken cancellationToken)
    {
        var (epochs, ends) = history.Table();
        // A row holds for a reader if the leaves it needs (all of them, for the nodes) are within what its epoch still holds.
        await using var command = historyPool.DataSource.CreateCommand($"""
            SELECT DISTINCT ON (b.block) b.block, b.epoch, b.leaf_count, CASE WHEN w.leaves THEN b.leaves END, b.nodes
            FROM unnest($1::bigint[], $2::int[], $3::bool[]) AS w(block, min_count, leaves)
            JOIN kavach_merkle_blocks b ON b.block = w.block AND b.leaf_count >= w.min_count
            {OfTheHistory(4, 5)}
            WHERE b.block * {TreeBlock.Capacity} + w.min_count <= h.valid_end
            ORDER BY b.block, b.leaf_count DESC, b.epoch DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = wants.Select(w => w.Block).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = wants.Select(w => w.MinLeaves).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = wants.Select(w => w.Leaves).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = epochs });
        command.Parameters.Add(new NpgsqlParameter { Value = ends });
        return await ReadBlocksAsync(command, cancellationToken);
    }

    public async Task<TreeBlock?> ReadNewestAsync(long upTo, TreeHistory history, CancellationToken cancellationToken)
    {
        var (epochs, ends) = history.Table();
        // The row that reaches furthest, cut where its epoch stops holding or at upTo: after an epoch change, the part
        // of a block both histories share still serves.
        await using var command = tree.DataSource.CreateCommand($"""
            SELECT b.block, b.epoch, b.leaf_count, b.leaves, b.nodes,
                   (least(b.block * {TreeBlock.Capacity} + b.leaf_count, $3, h.valid_end) - b.block * {TreeBlock.Capacity})::int AS valid
            FROM kavach_merkle_blocks b
            {OfTheHistory(1, 2)}
            WHERE b.block <= ($3 - 1) / {TreeBlock.Capacity} AND b.block * {TreeBlock.Capacity} < least($3, h.valid_end)
            ORDER BY b.block DESC, valid DESC LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = epochs });
        command.Parameters.Add(new NpgsqlParameter { Value = ends });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var row = Block(reader);
        var valid = reader.GetInt32(5);
        return valid == row.LeafCount ? row : new TreeBlock(row.Index, row.Epoch, valid, row.Leaves![..(valid * MerkleHash.Size)], []);
    }

    public async Task<SignedTreeHead?> ReadSignedHeadAsync(long upTo, TreeHistory history, CancellationToken cancellationToken)
    {
        var (epochs, ends) = history.Table();
        await using var command = tree.DataSource.CreateCommand($"""
            SELECT b.epoch, b.sequence, b.tree_size, b.tree_root FROM kavach_checkpoints b
            {OfTheHistory(1, 2)}
            WHERE b.tree_size IS NOT NULL AND b.tree_size <= least($3, h.valid_end)
            ORDER BY b.epoch DESC, b.sequence DESC LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = epochs });
        command.Parameters.Add(new NpgsqlParameter { Value = ends });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new SignedTreeHead(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetFieldValue<byte[]>(3))
            : null;
    }

    public async Task<List<TreeBlock>> WriteAsync(IReadOnlyList<TreeBlock> blocks, CancellationToken cancellationToken)
    {
        // Two statements, one round trip: the second one's snapshot sees a row another replica committed while the
        // first waited for it, so every row this replica built is compared with what is stored. A full block is compared
        // by its nodes (its root first, which its leaves determine): reading its 8 KiB of leaves back from TOAST for every
        // block, on every replica, was most of what the tree cost PostgreSQL. Stored leaves that no longer give the stored
        // root cannot pass an auditor's proof (docs/integrity.md, "The Merkle tree"). A block in progress has no nodes
        // yet: its leaves are compared.
        const string Input = "unnest($1::bigint[], $2::bigint[], $3::int[], $4::bytea[], $5::bytea[]) AS i(block, epoch, leaf_count, leaves, nodes)";
        await using var connection = await tree.DataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Parameterized($"INSERT INTO kavach_merkle_blocks (block, epoch, leaf_count, leaves, nodes) SELECT * FROM {Input} ON CONFLICT DO NOTHING", blocks),
                Parameterized($"""
                    SELECT i.block, i.epoch, i.leaf_count, b.leaves, b.nodes FROM {Input}
                    JOIN kavach_merkle_blocks b USING (block, epoch, leaf_count)
                    WHERE b.nodes <> i.nodes OR (i.leaves IS NOT NULL AND b.leaves <> i.leaves)
                    """, blocks, leavesOfPartialBlocksOnly: true),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var differing = new List<TreeBlock>();
        while (await reader.ReadAsync(cancellationToken))
        {
            differing.Add(Block(reader));
        }

        return differing;
    }

    public async Task<List<(long Sequence, byte[] Leaf)>> ReadLeavesAsync(long after, long upTo, int limit, CancellationToken cancellationToken)
    {
        var leaves = new List<(long, byte[])>();
        foreach (var stored in await events.ReadAsync(new EventQuery(after, Math.Min(limit, PageSize), UpTo: upTo), cancellationToken))
        {
            var leaf = new byte[MerkleHash.Size];
            MerkleHash.Event(stored, leaf);
            leaves.Add((stored.Sequence, leaf));
        }

        return leaves;
    }

    /// <summary>Rows of the current history only: joined to each epoch's valid end (<see cref="TreeHistory.Table"/>), given as parameters.</summary>
    private static string OfTheHistory(int epochs, int validEnds) =>
        $"JOIN unnest(${epochs}::bigint[], ${validEnds}::bigint[]) AS h(epoch, valid_end) ON h.epoch = b.epoch";

    private static NpgsqlBatchCommand Parameterized(string sql, IReadOnlyList<TreeBlock> blocks, bool leavesOfPartialBlocksOnly = false) => new(sql)
    {
        Parameters =
        {
            new NpgsqlParameter { Value = blocks.Select(b => b.Index).ToArray() },
            new NpgsqlParameter { Value = blocks.Select(b => b.Epoch).ToArray() },
            new NpgsqlParameter { Value = blocks.Select(b => b.LeafCount).ToArray() },
            new NpgsqlParameter { Value = blocks.Select(b => leavesOfPartialBlocksOnly && b.IsFull ? null : b.Leaves).ToArray() },
            new NpgsqlParameter { Value = blocks.Select(b => b.Nodes).ToArray() },
        },
    };

    private static async Task<List<TreeBlock>> ReadBlocksAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var blocks = new List<TreeBlock>();
        while (await reader.ReadAsync(cancellationToken))
        {
            blocks.Add(Block(reader));
        }

        return blocks;
    }

    private static TreeBlock Block(NpgsqlDataReader reader) => new(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2),
        reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4));
}
