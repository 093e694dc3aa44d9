using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.FanOut;

/// <summary>For a lone replica without Redis: the hub already has every local commit, so there is no one to tell.</summary>
public sealed class InProcessEventBroker : IEventBroker
{
    public void Publish(StreamPosition committedUpTo)
    {
    }
}
