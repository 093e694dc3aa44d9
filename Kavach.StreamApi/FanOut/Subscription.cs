using System.Threading.Channels;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.FanOut;

public enum SubscriptionEnd
{
    /// <summary>The reader fell behind by more than its queue holds while live: a slow consumer.</summary>
    Overflow,

    /// <summary>The queue filled while the reader was still replaying history: it catches up from the database.</summary>
    OverflowWhileReplaying,

    /// <summary>The replica is shutting down or the module was closed.</summary>
    Closing,
}

/// <summary>
/// One reader's live feed: a bounded queue the hub fills without ever waiting. A reader that lets it fill up
/// is cut off rather than slowing the hub, the emitters or anyone else; it resumes by Last-Event-ID.
/// </summary>
public sealed class Subscription
{
    private readonly Channel<EventEnvelope> _queue;
    private int _end; // 0 while open, else SubscriptionEnd + 1

    internal Subscription(EventTypeFilter filter, int capacity)
    {
        Filter = filter;
        _queue = Channel.CreateBounded<EventEnvelope>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public EventTypeFilter Filter { get; }

    public ChannelReader<EventEnvelope> Reader => _queue.Reader;

    /// <summary>Set by the reader while it writes history, so an overflow then is not counted as slowness.</summary>
    public bool Replaying { get; set; }

    public SubscriptionEnd? End => Volatile.Read(ref _end) is var end and > 0 ? (SubscriptionEnd)(end - 1) : null;

    /// <summary>Called by the hub only. Returns false when this subscription has just been cut off.</summary>
    internal bool Offer(EventEnvelope envelope)
    {
        if (_queue.Writer.TryWrite(envelope))
        {
            return true;
        }

        Close(Replaying ? SubscriptionEnd.OverflowWhileReplaying : SubscriptionEnd.Overflow);
        return false;
    }

    /// <summary>A heartbeat is best effort: a full queue already has something to write.</summary>
    internal void OfferHeartbeat() => _queue.Writer.TryWrite(EventEnvelope.Heartbeat);

    internal void Close(SubscriptionEnd end)
    {
        if (Interlocked.CompareExchange(ref _end, (int)end + 1, 0) == 0)
        {
            _queue.Writer.TryComplete();
        }
    }
}
