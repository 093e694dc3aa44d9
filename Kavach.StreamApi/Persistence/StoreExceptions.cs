using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// The database's sequence is behind what this replica has already delivered (a restore, or a failover to a
/// standby that was behind). Nothing was stored; a new epoch must begin before anything is.
/// </summary>
public sealed class StreamRegressionException(StreamPosition database, StreamPosition delivered)
    : Exception($"PostgreSQL's stream is at {database} but this replica has delivered {delivered}: the sequence went backwards.")
{
    public StreamPosition Database { get; } = database;

    public StreamPosition Delivered { get; } = delivered;
}

/// <summary>
/// The connection failed while COMMIT was under way: the events may or may not be stored. Retrying with the same
/// ids is always safe.
/// </summary>
public sealed class AmbiguousCommitException(IReadOnlyList<string> ids, Exception inner)
    : Exception("The commit's outcome is unknown: the connection to PostgreSQL failed during COMMIT.", inner)
{
    public IReadOnlyList<string> Ids { get; } = ids;
}

/// <summary>
/// The connection failed during COMMIT, and a look afterwards found the events not stored: nothing was stored.
/// Retrying with the same ids is safe.
/// </summary>
public sealed class CommitNotStoredException(IReadOnlyList<string> ids, Exception inner)
    : Exception("The connection to PostgreSQL failed during COMMIT, and the events were not stored.", inner)
{
    public IReadOnlyList<string> Ids { get; } = ids;
}
