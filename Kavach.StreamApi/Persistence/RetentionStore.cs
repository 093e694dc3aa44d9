using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>What one sweep did: events removed, in how many batches, the longest batch and the whole sweep.</summary>
public sealed record RetentionSweep(long Deleted, int Batches, TimeSpan LongestBatch, TimeSpan Elapsed);

/// <summary>
/// Removes the oldest events from PostgreSQL for retention: the prefix of the stream up to the newest event committed
/// before a cutoff, in batches of bounded size, each its own short statement and transaction that also moves the
/// chain's anchor (<c>kavach_chain_anchor</c>: the newest removed event's sequence and hash) — so however long a
/// sweep runs or wherever it stops, what remains verifies from the anchor, and no statement comes near the statement
/// timeout. A session advisory lock lets one replica sweep at a time; the others skip their turn. Each batch is the
/// owner's function <c>kavach_prune_events</c> (migration 10), the only way the service's role may delete: it removes
/// nothing younger than the retention period, nor younger than the owner's <c>kavach_retention_policy</c>.
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

    private const string BatchSql = "SELECT deleted, last_deleted FROM kavach_prune_events($1, $2, $3)";

    /// <summary>
    /// Removes every event up to the newest one committed more than <paramref name="retention"/> ago, but never past
    /// <paramref name="upTo"/> (a checkpoint: see <see cref="IRetentionBoundary"/>, which the anchor then names),
    /// <paramref name="batchSize"/> at a time; null when another replica holds the retention lock (it is sweeping).
    /// </summary>
    public async Task<RetentionSweep?> SweepAsync(TimeSpan retention, long upTo, int batchSize, CancellationToken cancellationToken)
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
            var cutoff = time.GetUtcNow() - retention;
            if (await ScalarAsync<object>(connection, PrefixEndSql, cancellationToken, cutoff.UtcDateTime) is long oldEnough && upTo > 0)
            {
                var end = Math.Min(oldEnough, upTo);
                for (var last = 0L; last < end;)
                {
                    var batchStarted = time.GetTimestamp();
                    (var count, last) = await DeleteBatchAsync(connection, retention, upTo, batchSize, cancellationToken);
                    if (count == 0)
                    {
                        break;
                    }

                    var took = time.GetElapsedTime(batchStarted);
                    longest = took > longest ? took : longest;
                    deleted += count;
                    batches++;
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
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
            }
        }
    }

    /// <summary>How old, at least, an event must be before any role but the owner may have it removed (the migrate step sets it).</summary>
    public async Task<TimeSpan> ReadMinimumAgeAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT min_age FROM kavach_retention_policy");
        return (TimeSpan)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<(int Count, long Last)> DeleteBatchAsync(NpgsqlConnection connection, TimeSpan retention, long upTo, int batchSize,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(BatchSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = retention },
                new NpgsqlParameter { Value = upTo },
                new NpgsqlParameter { Value = batchSize },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.IsDBNull(1) ? upTo : reader.GetInt64(1));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, object parameter)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new NpgsqlParameter { Value = parameter } } };
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
