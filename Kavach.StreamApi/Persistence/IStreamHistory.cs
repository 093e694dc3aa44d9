using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>What a stream reads from PostgreSQL: how far the log goes, what retention kept, and history a page at a time.</summary>
public interface IStreamHistory
{
    /// <summary>The last sequence the database assigned.</summary>
    Task<long> ReadLastAsync(CancellationToken cancellationToken);

    /// <summary>The first sequence a reader can still get (the next one when nothing is kept).</summary>
    Task<long> ReadFirstKeptAsync(CancellationToken cancellationToken);

    /// <summary>Committed events the query's scope allows, from the history pool.</summary>
    Task<List<StoredEvent>> ReadPageAsync(EventQuery query, CancellationToken cancellationToken);
}
