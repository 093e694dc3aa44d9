using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// Told of every commit this replica made, in sequence order, right after it committed (fan-out listens). Only
/// <see cref="EventCommitter"/> tells it, also of a commit whose outcome it had to look up.
/// </summary>
public interface ICommitObserver
{
    void Committed(long epoch, IReadOnlyList<StoredEvent> events);
}
