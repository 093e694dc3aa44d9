using System.Globalization;
using System.Text;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Integrity;
using Kavach.StreamApi.Integrity.Merkle;
using Npgsql;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// Version 2 checkpoints — signed tree heads — for a database of the attack's own, signed with the key its replica was
/// given: what the signer (issue 17, item 1) signs once it lands, made here from the tree's root over the events as the
/// API serves them. Each names the newest checkpoint before it, as the signer's do.
/// </summary>
public sealed class TreeHeads(OwnDatabase database, string privateKeyPem) : IDisposable
{
    private readonly CheckpointKey _key = CheckpointKey.Create(privateKeyPem);

    /// <summary>The settings that give a replica this key and keep its own signer to its first checkpoint.</summary>
    public static Dictionary<string, string> ReplicaSettings(string privateKeyPem) => new()
    {
        ["Kavach__Integrity__CheckpointKey"] = privateKeyPem,
        ["Kavach__Integrity__CheckpointEvery"] = "10000000",
        ["Kavach__Integrity__CheckpointInterval"] = "01:00:00",
        ["Kavach__Integrity__MaxCheckpointGap"] = "02:00:00",
    };

    /// <summary>The tree's root over the first <paramref name="size"/> events as <paramref name="reader"/> gets them served.</summary>
    public static async Task<byte[]> RootAsync(Api reader, long size)
    {
        var tree = new CompactRange();
        var completed = new byte[64 * MerkleHash.Size];
        foreach (var e in (await reader.AllPagesAsync()).TakeWhile(e => e.GetProperty("sequence").GetInt64() <= size))
        {
            Assert.AreEqual(tree.Size + 1, e.GetProperty("sequence").GetInt64(), "the events of the attack's database from 1, without a gap");
            var raw = e.GetRawText();
            tree.Append(MerkleHash.Leaf(Encoding.UTF8.GetBytes(raw[..raw.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal)] + "}")), completed);
        }

        Assert.AreEqual(size, tree.Size);
        return tree.Root();
    }

    /// <summary>Signs the tree head (<paramref name="size"/>, <paramref name="root"/>) at the chain's hash of event <paramref name="size"/> and stores it.</summary>
    public async Task<Checkpoint> SignAsync(long size, byte[] root)
    {
        await using var connection = await database.OpenAsync();
        var (streamId, epoch) = await ReadAsync(connection, "SELECT stream_id, epoch FROM kavach_stream_sequence", r => (r.GetGuid(0), r.GetInt64(1)));
        var hash = await ReadAsync(connection, $"SELECT hash FROM kavach_stream_events WHERE sequence = {size}", r => r.GetFieldValue<byte[]>(0));
        var previous = await ReadOptionalAsync(connection, """
            SELECT epoch, sequence, hash, signed_at, key_id, signature, tree_size, tree_root, previous_epoch, previous_sequence, previous_digest
            FROM kavach_checkpoints ORDER BY epoch DESC, sequence DESC LIMIT 1
            """, r => new SignedCheckpoint(streamId, r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<byte[]>(2), r.GetFieldValue<DateTimeOffset>(3),
            r.GetString(4), r.GetFieldValue<byte[]>(5), r.IsDBNull(6) ? null
                : new CheckpointLinks(r.GetInt64(6), r.GetFieldValue<byte[]>(7), r.GetInt64(8), r.GetInt64(9), r.GetFieldValue<byte[]>(10))));
        var now = DateTimeOffset.UtcNow;
        var signedAt = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        var links = previous is null
            ? new CheckpointLinks(size, root, 0, 0, SignedCheckpoint.NoDigest)
            : new CheckpointLinks(size, root, previous.Epoch, previous.Sequence, previous.Digest());
        var checkpoint = new SignedCheckpoint(streamId, epoch, size, hash, signedAt, _key.KeyId,
            _key.Sign(SignedCheckpoint.Payload(streamId, epoch, size, hash, signedAt, links)), links);

        await using var insert = new NpgsqlCommand("""
            INSERT INTO kavach_checkpoints (epoch, sequence, hash, signed_at, key_id, signature, tree_size, tree_root, previous_epoch, previous_sequence, previous_digest)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, connection)
        {
            Parameters =
            {
                new() { Value = epoch }, new() { Value = size }, new() { Value = hash }, new() { Value = signedAt.UtcDateTime }, new() { Value = _key.KeyId },
                new() { Value = checkpoint.Signature }, new() { Value = size }, new() { Value = root }, new() { Value = links.PreviousEpoch },
                new() { Value = links.PreviousSequence }, new() { Value = links.PreviousDigest },
            },
        };
        await insert.ExecuteNonQueryAsync();
        return checkpoint.ToView();
    }

    /// <summary>A checkpoint as the auditor saves it: the JSON of <c>GET /api/kavach/events/checkpoints/newest</c>.</summary>
    public static async Task<string> SaveAsync(Checkpoint view)
    {
        var path = Path.Combine(AttackSettings.WorkRoot, $"checkpoint-{view.Sequence.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(view, JsonSerializerOptions.Web));
        return path;
    }

    public void Dispose() => _key.Dispose();

    private static async Task<T> ReadAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.IsTrue(await reader.ReadAsync(), sql);
        return read(reader);
    }

    private static async Task<T?> ReadOptionalAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read)
        where T : class
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? read(reader) : default;
    }
}
