using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// The hash chain as this replica delivered it. The hub shows it every event it delivers, in order; each is linked to
/// the one before with the hash this replica computes itself, and its stored hash must be that hash. So once anchored
/// at a point it trusts (a checkpoint it verified, <see cref="Anchor"/>), this knows the chain's hash at every sequence
/// it delivered — what subscribers received — and a database writer who rewrites an event and re-hashes everything after
/// it cannot get the signer to sign the result: the next event, or the head, no longer matches.
/// </summary>
public sealed class DeliveredChain : IDeliveryObserver
{
    /// <summary>Hashes kept for the most recent sequences (the signer compares the head; epochs rewind within it).</summary>
    private const int KeptCount = 1 << 16;

    /// <summary>Events delivered while not anchored, verified once the anchor is set.</summary>
    private const int MaxWaiting = 1 << 16;

    private readonly Lock _gate = new();
    private readonly (long Sequence, byte[]? Hash)[] _hashes = new (long, byte[]?)[KeptCount];
    private readonly Queue<(long Epoch, StoredEvent Event)> _waiting = new();
    private List<EpochStart>? _epochs;
    private long _epoch;
    private (long Sequence, byte[] Hash)? _tip;
    private string? _broken;

    /// <summary>The last sequence verified and its chain hash; null until anchored, and after a restart that lost the way.</summary>
    public (long Sequence, byte[] Hash)? Tip
    {
        get
        {
            lock (_gate)
            {
                return _tip;
            }
        }
    }

    /// <summary>Why the stored chain is not the delivered one, once that was seen; the signer then refuses for good.</summary>
    public string? Broken
    {
        get
        {
            lock (_gate)
            {
                return _broken;
            }
        }
    }

    /// <summary>The epoch delivery is in, and whether the signer must read the epochs (and anchor) before anything is verified.</summary>
    public (long Epoch, bool NeedsAnchor) State
    {
        get
        {
            lock (_gate)
            {
                return (_epoch, _tip is null || _epochs is null);
            }
        }
    }

    /// <summary>The first sequence delivered but not yet verified (the anchor must reach just before it), if any.</summary>
    public long? FirstWaiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count > 0 ? _waiting.Peek().Event.Sequence : null;
            }
        }
    }

    /// <summary>The chain's hash at <paramref name="sequence"/> as delivered, when it is still kept.</summary>
    public byte[]? HashAt(long sequence)
    {
        lock (_gate)
        {
            return KeptHash(sequence);
        }
    }

    public void Restarted(long epoch, long after)
    {
        lock (_gate)
        {
            if (epoch != _epoch)
            {
                _epochs = null; // a new epoch: where its hashing starts is read again before anything is verified
            }

            _epoch = epoch;
            _waiting.Clear();
            _tip = KeptHash(after) is { } hash ? (after, hash) : null;
        }
    }

    public void Delivered(long epoch, StoredEvent committed)
    {
        lock (_gate)
        {
            if (_broken is not null)
            {
                return;
            }

            if (_tip is null || _epochs is null)
            {
                if (_waiting.Count == MaxWaiting)
                {
                    _waiting.Dequeue(); // the anchor will have to reach further
                }

                _waiting.Enqueue((epoch, committed));
                return;
            }

            Verify(epoch, committed);
        }
    }

    /// <summary>
    /// Sets where the delivered chain is known to be right — <paramref name="sequence"/> with <paramref name="hash"/>, as
    /// the signer verified it from a checkpoint it trusts — and verifies what was delivered since. False when the events
    /// waiting do not continue right after it (the signer anchors again, further on).
    /// </summary>
    public bool Anchor(long sequence, byte[] hash, List<EpochStart> epochs)
    {
        lock (_gate)
        {
            _epochs = epochs;
            while (_waiting.Count > 0 && _waiting.Peek().Event.Sequence <= sequence)
            {
                _waiting.Dequeue();
            }

            if (_waiting.Count > 0 && _waiting.Peek().Event.Sequence != sequence + 1)
            {
                return false;
            }

            Array.Clear(_hashes);
            Keep(sequence, hash);
            while (_broken is null && _waiting.TryDequeue(out var next))
            {
                Verify(next.Epoch, next.Event);
            }

            return true;
        }
    }

    /// <summary>The signer found the stored chain differs from the delivered one another way (its head, a checkpoint).</summary>
    public void Break(string reason)
    {
        lock (_gate)
        {
            _broken ??= reason;
        }
    }

    private void Verify(long epoch, StoredEvent committed)
    {
        var (previous, hash) = _tip!.Value;
        if (committed.Sequence != previous + 1)
        {
            _tip = null; // not the next one: the hub restarts delivery before this happens; anchor again
            _waiting.Enqueue((epoch, committed));
            return;
        }

        if (committed.Hash is null)
        {
            _broken = $"Event {committed.Sequence} was delivered without a hash although the chain began before it.";
            return;
        }

        // The epoch an event was hashed in: the delivering epoch, unless it was committed before that epoch's hashing began.
        var current = _epochs!.LastOrDefault(e => e.Epoch == epoch);
        var hashedIn = current is not null && committed.Sequence <= current.ChainStartsAfter ? ChainVerifier.EpochOf(_epochs!, committed.Sequence) : epoch;
        var expected = ChainHash.Of(committed, hashedIn, hash);
        if (!expected.AsSpan().SequenceEqual(committed.Hash))
        {
            _broken = $"Event {committed.Sequence} was delivered with a hash that does not follow from the chain this replica delivered " +
                $"before it: the stored chain was rewritten at or before #{committed.Sequence}.";
            return;
        }

        Keep(committed.Sequence, expected);
    }

    private void Keep(long sequence, byte[] hash)
    {
        _tip = (sequence, hash);
        _hashes[sequence & (KeptCount - 1)] = (sequence, hash);
    }

    /// <summary>The hash kept for a sequence at or before the tip (beyond it, a rewound epoch's old hashes are not this chain's).</summary>
    private byte[]? KeptHash(long sequence) =>
        _tip is { } tip && sequence <= tip.Sequence && _hashes[sequence & (KeptCount - 1)] is var (kept, hash) && kept == sequence ? hash : null;
}
