using Npgsql;

namespace Kavach.StreamApi.Persistence;

public enum RevocationKind
{
    /// <summary>One token, by its <c>jti</c>.</summary>
    Token,

    /// <summary>Every token of a subject issued up to the revocation.</summary>
    Subject,

    /// <summary>Every token that speaks for an agent (<c>kavach_subject</c> = agent) issued up to the revocation, recorded as <c>agent.revoked</c>.</summary>
    Agent,
}

public sealed record Revocation(long Id, RevocationKind Kind, string Value, string? Reason, string RevokedBy,
    DateTimeOffset RevokedAt, DateTimeOffset ExpiresAt);

/// <summary>What one read of the revocations found, and where the next read must start (a transaction id).</summary>
public sealed record RevocationsRead(ulong NextFrom, IReadOnlyList<Revocation> Revocations);

/// <summary>
/// The <c>kavach_revocations</c> table, on a pool of its own (<see cref="RevocationDataSource"/>): a replica that cannot
/// read revocations refuses every token, so emits and history reads must never be able to take its connections. It only
/// reads: every revocation is written by the event that records it, in the same transaction (<see cref="EventStore"/>).
/// </summary>
public sealed class RevocationStore(RevocationDataSource revocations)
{
    private const string Columns = "id, kind, value, reason, revoked_by, revoked_at, expires_at";

    /// <summary>How long a revocation is kept when nobody says otherwise: longer than any token should live.</summary>
    public static readonly TimeSpan DefaultKeepFor = TimeSpan.FromDays(7);

    private NpgsqlDataSource DataSource => revocations.DataSource;

    /// <summary>
    /// Unexpired revocations written by transactions at or after <paramref name="from"/>, in one statement (one snapshot)
    /// with the oldest transaction still running in that snapshot: every revocation invisible to this read was written
    /// by a transaction at or after it, so reading from it next time misses none, whatever order they commit in. The
    /// same revocation may come twice.
    /// </summary>
    public async Task<RevocationsRead> FollowAsync(ulong from, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"""
            SELECT s.next_from, {string.Join(", ", Columns.Split(", ").Select(c => "r." + c))}
            FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS next_from) s
            LEFT JOIN kavach_revocations r ON r.xid >= $1::text::xid8 AND r.expires_at > clock_timestamp()
            ORDER BY r.id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var next = from;
        var found = new List<Revocation>();
        while (await reader.ReadAsync(cancellationToken))
        {
            next = ulong.Parse(reader.GetFieldValue<string>(0), System.Globalization.CultureInfo.InvariantCulture);
            if (!reader.IsDBNull(1))
            {
                found.Add(Read(reader, 1));
            }
        }

        return new RevocationsRead(next, found);
    }

    /// <summary>Every unexpired revocation, oldest first (the admin API's list).</summary>
    public async Task<List<Revocation>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            $"SELECT {Columns} FROM kavach_revocations WHERE expires_at > clock_timestamp() ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var revocations = new List<Revocation>();
        while (await reader.ReadAsync(cancellationToken))
        {
            revocations.Add(Read(reader, 0));
        }

        return revocations;
    }

    internal static string Kind(RevocationKind kind) => kind switch
    {
        RevocationKind.Token => "token",
        RevocationKind.Subject => "subject",
        _ => "agent",
    };

    private static Revocation Read(NpgsqlDataReader reader, int first) => new(
        reader.GetInt64(first),
        reader.GetString(first + 1) switch
        {
            "token" => RevocationKind.Token,
            "subject" => RevocationKind.Subject,
            _ => RevocationKind.Agent,
        },
        reader.GetString(first + 2),
        reader.IsDBNull(first + 3) ? null : reader.GetString(first + 3),
        reader.GetString(first + 4),
        reader.GetFieldValue<DateTimeOffset>(first + 5),
        reader.GetFieldValue<DateTimeOffset>(first + 6));
}
