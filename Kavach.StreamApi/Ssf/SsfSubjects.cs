using System.Collections.Concurrent;
using System.Text.Json;
using Kavach.StreamApi.Delivery;
using Npgsql;
using NpgsqlTypes;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// SSF §8.1.3: the subjects a receiver added to or removed from a stream (<c>kavach_ssf_subjects</c>, by canonical form).
/// Streams carry every subject by default (<c>default_subjects</c> "ALL"): removing one holds its events back, adding it
/// again lets them through. The removed ones are copied into the stream's config in the same transaction, so whoever
/// holds the stream's record — the engine pushing it, a poll — decides with the same subjects as the record's other rules.
/// The engine reads a changed record within a lease renewal; on the replica that took the change it applies at once
/// (<see cref="NewerThan"/>).
/// </summary>
public sealed class SsfSubjects(NpgsqlDataSource dataSource)
{
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset UpdatedAt, SsfSubjectFilter Removed)> _changed = new();

    /// <summary>The stream's removed subjects as this replica last wrote them, when that is newer than <paramref name="destination"/>.</summary>
    public SsfSubjectFilter? NewerThan(Destination destination) =>
        _changed.TryGetValue(destination.Id, out var changed) && changed.UpdatedAt > destination.UpdatedAt ? changed.Removed : null;

    public enum Outcome
    {
        Done,
        TooMany,
        Gone,
    }

    public Task<Outcome> AddAsync(SsfStream stream, JsonElement subject, bool? verified, int maxSubjects, CancellationToken cancellationToken) =>
        SetAsync(stream, subject, included: true, verified, maxSubjects, cancellationToken);

    public Task<Outcome> RemoveAsync(SsfStream stream, JsonElement subject, int maxSubjects, CancellationToken cancellationToken) =>
        SetAsync(stream, subject, included: false, verified: null, maxSubjects, cancellationToken);

    private async Task<Outcome> SetAsync(SsfStream stream, JsonElement subject, bool included, bool? verified, int maxSubjects,
        CancellationToken cancellationToken)
    {
        var id = stream.Destination.Id;
        var key = SsfSubjectId.Canonical(subject);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The stream's row first: changes to one stream's subjects take turns, so the copy in its config is never stale.
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM kavach_destinations WHERE id = $1 AND kind = 'ssf' FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = id });
            if (await lockRow.ExecuteScalarAsync(cancellationToken) is null)
            {
                return Outcome.Gone;
            }
        }

        await using (var count = new NpgsqlCommand(
            "SELECT count(*)::int FROM kavach_ssf_subjects WHERE destination = $1 AND subject_key <> $2", connection, transaction))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = id });
            count.Parameters.Add(new NpgsqlParameter { Value = key });
            if ((int)(await count.ExecuteScalarAsync(cancellationToken))! >= maxSubjects)
            {
                return Outcome.TooMany;
            }
        }

        await using (var upsert = new NpgsqlCommand("""
            INSERT INTO kavach_ssf_subjects (destination, subject_key, subject, verified, included) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (destination, subject_key) DO UPDATE SET subject = excluded.subject,
                verified = coalesce(excluded.verified, kavach_ssf_subjects.verified), included = excluded.included, added_at = clock_timestamp()
            """, connection, transaction))
        {
            var p = upsert.Parameters;
            p.Add(new NpgsqlParameter { Value = id });
            p.Add(new NpgsqlParameter { Value = key });
            p.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Jsonb });
            p.Add(new NpgsqlParameter { Value = (object?)verified ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
            p.Add(new NpgsqlParameter { Value = included });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        DateTimeOffset updatedAt;
        string removed;
        await using (var copy = new NpgsqlCommand("""
            UPDATE kavach_destinations SET updated_at = clock_timestamp(), config = jsonb_set(config, '{excluded_subjects}',
                (SELECT coalesce(jsonb_agg(s.subject ORDER BY s.subject_key), '[]'::jsonb) FROM kavach_ssf_subjects s
                 WHERE s.destination = $1 AND NOT s.included))
            WHERE id = $1 RETURNING updated_at, config->'excluded_subjects'
            """, connection, transaction))
        {
            copy.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await copy.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (updatedAt, removed) = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1));
        }

        await transaction.CommitAsync(cancellationToken);
        using var parsed = JsonDocument.Parse(removed);
        var filter = new SsfSubjectFilter(parsed.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray());
        _changed.AddOrUpdate(id, (updatedAt, filter), (_, old) => old.UpdatedAt >= updatedAt ? old : (updatedAt, filter));
        return Outcome.Done;
    }
}
