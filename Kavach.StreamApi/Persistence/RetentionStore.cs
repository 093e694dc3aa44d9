using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>What one sweep did: events removed, in how many batches, the longest batch and the whole sweep.</summary>
public sealed record RetentionSweep(long Deleted, int Batches, TimeSpan LongestBatch, TimeSpan Elapsed);

/// <summary>
/// Removes the oldest events from PostgreSQL for retention: the prefix of the stream up to the newest event committed
/// before a cutoff, in batches of bounded size, each its own short statement and transaction that also moves the
/// chain's anchor (<c>kavach_chain_anchor</c>: the newest removed event's sequence and hash) — so however long a
/// sweep runs or wherever it stops, what remains verifies from the anchor, and no statement comes near the statement
/// timeout. A session advisory lock lets one replica sweep at a time; the others skip their turn.
/// </summary>
public sealed class RetentionStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>"Kavach" + 2 (the schema migration lock is + 1).</summary>
    public const long LockKey = 0x4B61766163680002;

    // Commit time rises with sequence (commits are ordered by the sequence lock), so the newest event committed before
    // the cutoff bounds a prefix; the index on committed_at finds it without a scan.
    private const string PrefixEndSql = """
        SELECT sequence FROM kavach_stream_events WHERE committed_at < $1 ORDER BY committed_at DESC LIMIT 1
        """;

    // Starts after the previous batch, so no batch walks over the entries of rows the earlier ones removed.
    private const string BatchSql = """
        WITH doomed AS (
            SELECT sequence FROM kavach_stream_events WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3),
        gone AS (
            DELETE FROM kavach_stream_events e USING doomed WHERE e.sequence = doomed.sequence RETURNING e.sequence, e.hash),
        newest AS (
            SELECT sequence, hash FROM gone ORDER BY sequence DESC LIMIT 1),
        anchored AS (
            INSERT INTO kavach_chain_anchor (singleton, sequence, hash, bound_to) SELECT true, sequence, hash, $2 FROM newest
            ON CONFLICT (singleton) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash, bound_to = excluded.bound_to,
                pruned_at = clock_timestamp()
            WHERE kavach_chain_anchor.sequence < excluded.sequence
            RETURNING 1)
        SELECT count(*)::int, max(sequence) FROM gone
        """;

    /// <summary>
    /// Removes every event up to the newest one committed before <paramref name="cutoff"/>, but never past
    /// <paramref name="upTo"/> (a checkpoint: see <see cref="IRetentionBoundary"/>), <paramref name="batchSize"/> at a time;
    /// null when another replica holds the retention lock (it is sweeping).
    /// </summary>
    public async Task<RetentionSweep?> SweepAsync(DateTimeOffset cutoff, long upTo, int batchSize, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await ScalarAsync<bool>(connection, "SELECT pg_try_advisory_lock($1)", cancellationToken, LockKey))
        {
            return null;
        }

        try
        {
            long deleted = 0;
            var batches = 0;
            var longest = TimeSpan.Zero;
            if (await ScalarAsync<object>(connection, PrefixEndSql, cancellationToken, cutoff.UtcDateTime) is long oldEnough && upTo > 0)
            {
                var end = Math.Min(oldEnough, upTo);
                for (var after = 0L; after < end;)
                {
                    var batchStarted = time.GetTimestamp();
                    var (count, last) = await DeleteBatchAsync(connection, after, end, batchSize, cancellationToken);
                    if (count == 0)
                    {
                        break;
                    }

                    var took = time.GetElapsedTime(batchStarted);
                    longest = took > longest ? took : longest;
                    deleted += count;
                    batches++;
                    after = last;
                }
            }

            return new RetentionSweep(deleted, batches, longest, time.GetElapsedTime(started));
        }
        finally
        {
            // A session lock outlives the statement: release it before the connection goes back to the pool. If the
            // connection broke, PostgreSQL released it with the session.
            try
            {
                await ScalarAsync<bool>(connection, "SELECT pg_advisory_unlock($1)", CancellationToken.None, LockKey);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
            }
        }
    }

    private static async Task<(int Count, long Last)> DeleteBatchAsync(NpgsqlConnection connection, long after, long end, int batchSize,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(BatchSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = after },
                new NpgsqlParameter { Value = end },
                new NpgsqlParameter { Value = batchSize },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.IsDBNull(1) ? after : reader.GetInt64(1));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, object parameter)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new NpgsqlParameter { Value = parameter } } };
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
