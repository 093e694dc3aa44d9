using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.FanOut;

/// <summary>Carries committed events to the other replicas, and tells them how many streams each one holds.</summary>
public interface IEventBroker
{
    /// <summary>Best effort: the events are committed already, and a replica that misses them catches up from PostgreSQL.</summary>
    Task PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken);

    /// <summary>Open streams across every replica.</summary>
    Task<long> CountConnectionsAsync(CancellationToken cancellationToken);
}
