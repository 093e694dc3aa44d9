namespace Kavach.StreamApi.Streaming;

/// <summary>Where a stream is in its life. It moves only through <see cref="StreamPhases.Next"/>.</summary>
public enum StreamPhase
{
    /// <summary>Finding where the cursor puts the stream; nothing but the opening frames is written yet.</summary>
    Placing,

    /// <summary>Behind the hub's head: history from the live buffer or PostgreSQL, a turn at a time at the <see cref="CatchUpGate"/>.</summary>
    CatchingUp,

    /// <summary>At the head: each event as the hub appends it, never waiting at the gate.</summary>
    Live,

    /// <summary>Ending, for one reason, told to the client when it can still be told.</summary>
    Ended,
}

/// <summary>What happened to a stream that may move it to another phase.</summary>
public enum StreamTrigger
{
    /// <summary>The cursor was placed at the hub's head (no cursor, or one at the head).</summary>
    PlacedAtHead,

    /// <summary>The cursor was placed behind the head (or on a time window): history comes first.</summary>
    PlacedBehind,

    /// <summary>The stream reached the hub's head.</summary>
    CaughtUp,

    /// <summary>Retention removed what a live stream needed next: it reads on from what is kept.</summary>
    HistoryPruned,

    /// <summary>The database began another epoch: the stream goes back to the last shared sequence.</summary>
    EpochChanged,

    /// <summary>The stream must end (client gone, slow, revoked, expired, closing, store failed).</summary>
    Ending,
}

/// <summary>The one place a stream's phase changes.</summary>
public static class StreamPhases
{
    public static StreamPhase Next(StreamPhase phase, StreamTrigger trigger) => (phase, trigger) switch
    {
        (StreamPhase.Ended, _) => StreamPhase.Ended,
        (_, StreamTrigger.Ending) => StreamPhase.Ended,
        (StreamPhase.Placing, StreamTrigger.PlacedAtHead) => StreamPhase.Live,
        (StreamPhase.Placing, StreamTrigger.PlacedBehind) => StreamPhase.CatchingUp,
        (StreamPhase.CatchingUp, StreamTrigger.CaughtUp) => StreamPhase.Live,
        (StreamPhase.Live, StreamTrigger.HistoryPruned) => StreamPhase.CatchingUp,
        (StreamPhase.CatchingUp or StreamPhase.Live, StreamTrigger.EpochChanged) => StreamPhase.CatchingUp,
        _ => throw new InvalidOperationException($"A stream that is {phase} cannot be {trigger}."),
    };
}
