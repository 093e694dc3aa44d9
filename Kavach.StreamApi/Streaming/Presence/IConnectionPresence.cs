namespace Kavach.StreamApi.Streaming.Presence;

/// <summary>How many streams are open across every replica (the connections endpoint and the module's count).</summary>
public interface IConnectionPresence
{
    Task<long> CountAllAsync(CancellationToken cancellationToken);
}
