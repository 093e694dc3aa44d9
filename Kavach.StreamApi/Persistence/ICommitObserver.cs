using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>Told of every commit this replica made, in sequence order, right after it committed (fan-out listens).</summary>
public interface ICommitObserver
{
    void Committed(long epoch, IReadOnlyList<StoredEvent> events);
}
