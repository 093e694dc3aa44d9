namespace Kavach.StreamApi.FanOut;

/// <summary>What a stream reads from fan-out: the live buffer, how epochs relate, and a wake-up when events arrive.</summary>
public interface ILiveEvents
{
    /// <summary>The current epoch's live buffer; another instance replaces it when an epoch begins.</summary>
    LiveBuffer Buffer { get; }

    /// <summary>
    /// The last sequence that a cursor of <paramref name="epoch"/> shares with the current epoch. Null when the epoch is
    /// the current one (all of it is shared) or unknown here (<paramref name="unknownEpoch"/>: ahead of this replica).
    /// </summary>
    long? SharedHistoryEnd(long epoch, out bool unknownEpoch);

    /// <summary>Sets <paramref name="signal"/> whenever the buffer gains events or is replaced.</summary>
    void Listen(WakeSignal signal);

    void Unlisten(WakeSignal signal);
}
