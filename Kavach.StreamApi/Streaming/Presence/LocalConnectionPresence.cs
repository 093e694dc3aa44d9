namespace Kavach.StreamApi.Streaming.Presence;

/// <summary>A lone replica: its own count is the total.</summary>
public sealed class LocalConnectionPresence(StreamAdmission admission) : IConnectionPresence
{
    public Task<long> CountAllAsync(CancellationToken cancellationToken) => Task.FromResult((long)admission.Open);
}
