using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.FanOut;

/// <summary>
/// Sees every event this replica's hub delivers, in sequence order, on the hub's loop (keep it cheap): the checkpoint
/// signer follows the chain it delivered, the Merkle tree builder the leaves.
/// </summary>
public interface IDeliveryObserver
{
    /// <summary>
    /// Delivery (re)starts after <paramref name="after"/> in <paramref name="epoch"/>: at start, at a new epoch, or after
    /// rows missing from the database. What the observer knew beyond <paramref name="after"/> no longer holds.
    /// </summary>
    void Restarted(long epoch, long after);

    /// <summary>The next event, exactly one sequence after the previous one delivered.</summary>
    void Delivered(long epoch, StoredEvent committed);
}
