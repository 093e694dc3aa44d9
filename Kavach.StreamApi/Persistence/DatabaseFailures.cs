using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// The one place that decides what a failure of PostgreSQL is. Three questions get different answers, so there are
/// three rules:
/// <list type="bullet">
/// <item><see cref="IsFailure"/> — a loop or a check that only needs to know "the database let us down this time"
/// (skip the turn, report unhealthy, retry later). Any error PostgreSQL answered with counts, and so do a broken
/// connection (Npgsql reports its use as an <see cref="InvalidOperationException"/>) and a timeout.</item>
/// <item><see cref="IsUnavailable"/> — a request: may the same request succeed later (503 with Retry-After)? An error
/// PostgreSQL answered counts only when its class means "not now"; a value it refused or a statement it could not run
/// would fail again, so it is the client's to fix or a bug.</item>
/// <item><see cref="LeftCommitUnknown"/> — a commit: did the connection fail while it ran, so that it may or may not
/// have committed? An answer from PostgreSQL, even an error, means the transaction did not commit.</item>
/// </list>
/// <see cref="IsRefusedValue"/> names the one kind of answer that is the data's fault.
/// </summary>
public static class DatabaseFailures
{
    /// <summary>
    /// SQLSTATE classes that mean "not now": connection exception (08), transaction rollback such as a deadlock (40),
    /// insufficient resources such as too many connections (53), object not in prerequisite state (55: lock not
    /// available), operator intervention such as shutdown or a statement timeout (57), system error (58).
    /// </summary>
    private static readonly string[] UnavailableClasses = ["08", "40", "53", "55", "57", "58"];

    /// <summary>PostgreSQL could not be reached, did not answer in time, or answered with an error.</summary>
    public static bool IsFailure(Exception e) => e is NpgsqlException or TimeoutException or InvalidOperationException { Source: "Npgsql" };

    /// <summary>A failure that a retry of the same request may not meet: unreachable, too busy, shutting down, too slow.</summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException postgres => UnavailableClasses.Contains(postgres.SqlState[..2]),
        _ => IsFailure(e),
    };

    /// <summary>The connection failed while a statement ran: whether its transaction committed is unknown.</summary>
    public static bool LeftCommitUnknown(Exception e) => e is (NpgsqlException or TimeoutException or IOException) and not PostgresException;

    /// <summary>
    /// PostgreSQL refused a value (data exception, 22) or found it beyond a limit (program limit exceeded, 54): the
    /// same value fails again, and only the request that carried it should.
    /// </summary>
    public static bool IsRefusedValue(Exception e) => e is PostgresException { SqlState: ['2', '2', ..] or ['5', '4', ..] };
}
