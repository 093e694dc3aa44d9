using Kavach.StreamApi.Events;
using Kavach.StreamApi.Streaming;

namespace Kavach.StreamApi.FanOut;

/// <summary>For a lone replica without Redis: the hub already has every local emit, so there is no one to tell.</summary>
public sealed class InProcessEventBroker(StreamAdmission admission) : IEventBroker
{
    public Task PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<long> CountConnectionsAsync(CancellationToken cancellationToken) => Task.FromResult((long)admission.Open);
}
