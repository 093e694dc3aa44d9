using Kavach.StreamApi.Events;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// Where this replica's commits go: the events to its own hub, and a hint ("committed up to N") to the other
/// replicas — once per group commit, in sequence order.
/// </summary>
public sealed class CommitFanOut(EventHub hub, IEventBroker broker) : ICommitObserver
{
    public void Committed(long epoch, IReadOnlyList<StoredEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        hub.Committed(epoch, events);
        broker.Publish(new StreamPosition(epoch, events[^1].Sequence));
    }
}
