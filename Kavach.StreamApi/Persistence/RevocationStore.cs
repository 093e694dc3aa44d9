using Npgsql;

namespace Kavach.StreamApi.Persistence;

public enum RevocationKind
{
    /// <summary>One token, by its <c>jti</c>.</summary>
    Token,

    /// <summary>Every token of a subject issued up to the revocation.</summary>
    Subject,
}

public sealed record Revocation(long Id, RevocationKind Kind, string Value, string? Reason, string RevokedBy,
    DateTimeOffset RevokedAt, DateTimeOffset ExpiresAt);

/// <summary>The <c>kavach_revocations</c> table.</summary>
public sealed class RevocationStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, kind, value, reason, revoked_by, revoked_at, expires_at";

    public async Task<Revocation> AddAsync(RevocationKind kind, string value, string? reason, string revokedBy, TimeSpan keepFor,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO kavach_revocations (kind, value, reason, revoked_by, expires_at)
            VALUES ($1, $2, $3, $4, clock_timestamp() + $5) RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = Kind(kind) });
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = revokedBy });
        command.Parameters.Add(new NpgsqlParameter { Value = keepFor });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader);
    }

    /// <summary>Revocations added after <paramref name="afterId"/> that have not expired, oldest first.</summary>
    public async Task<List<Revocation>> ReadAsync(long afterId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM kavach_revocations WHERE id > $1 AND expires_at > clock_timestamp() ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = afterId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var revocations = new List<Revocation>();
        while (await reader.ReadAsync(cancellationToken))
        {
            revocations.Add(Read(reader));
        }

        return revocations;
    }

    /// <summary>Whether an <c>agent.revoked</c> event for <paramref name="agentId"/> was committed at or after <paramref name="since"/>.</summary>
    public async Task<bool> AgentRevokedSinceAsync(string agentId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM kavach_stream_events
                           WHERE agent_id = $1 AND type = 'agent.revoked' AND committed_at >= $2)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = agentId });
        command.Parameters.Add(new NpgsqlParameter { Value = since.UtcDateTime });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM kavach_revocations WHERE expires_at <= clock_timestamp()");
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Kind(RevocationKind kind) => kind == RevocationKind.Token ? "token" : "subject";

    private static Revocation Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1) == "token" ? RevocationKind.Token : RevocationKind.Subject,
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetString(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.GetFieldValue<DateTimeOffset>(6));
}
