using Kavach.Contracts;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// An admin's <c>agent.revoked</c> writes the agent's revocation in the same transaction as the event. Whichever way the
/// event reaches this replica's hub — its own commit, or another replica's read back from PostgreSQL — revocations are
/// read at once, so the agent's streams end here too without waiting for the next follow.
/// </summary>
public sealed class RevocationEventFollower(IRevocationList revocations) : IDeliveryObserver
{
    public void Restarted(long epoch, long after)
    {
    }

    public void Delivered(long epoch, StoredEvent committed)
    {
        if (committed.Type == KavachEventTypes.AgentRevoked && committed.AgentId is not null)
        {
            _ = revocations.RefreshAsync(TimeSpan.Zero, CancellationToken.None); // on the hub's loop: start the read, never wait for it
        }
    }
}
