using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// Tells the other replicas that events were committed. Only a hint — "committed up to this position" — never the
/// events: each replica reads the content from PostgreSQL, so a shared or compromised broker can delay delivery but
/// cannot forge, alter or hide an event.
/// </summary>
public interface IEventBroker
{
    /// <summary>Best effort and never waits: a replica that misses the hint finds the events at its next check.</summary>
    void Publish(StreamPosition committedUpTo);
}
