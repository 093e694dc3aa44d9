namespace Kavach.StreamApi.Streaming;

/// <summary>Why a stream ended; each stream ends once, for one reason, counted once.</summary>
public enum StreamEnd
{
    /// <summary>The client went away.</summary>
    ClientGone,

    /// <summary>The replica is shutting down or the module was closed: the client reconnects elsewhere.</summary>
    Closing,

    /// <summary>The client fell further behind than the stream can hold, or stopped closing the gap: told, then closed.</summary>
    SlowConsumer,

    /// <summary>The client's socket took no bytes for <c>WriteTimeout</c>: aborted.</summary>
    WriteTimeout,

    /// <summary>A history read from PostgreSQL failed after the stream started: told, then closed.</summary>
    StoreUnavailable,

    /// <summary>The token reached its <c>exp</c>: told, then closed; the client resumes with a fresh token.</summary>
    TokenExpired,

    /// <summary>The token, its subject, or the agent it speaks for was revoked: told, then closed.</summary>
    TokenRevoked,
}

public static class StreamEndNames
{
    /// <summary>The reason as metrics and logs tag it.</summary>
    public static string Tag(this StreamEnd end) => end switch
    {
        StreamEnd.ClientGone => "client_gone",
        StreamEnd.Closing => "closing",
        StreamEnd.SlowConsumer => "slow_consumer",
        StreamEnd.WriteTimeout => "write_timeout",
        StreamEnd.StoreUnavailable => "store_unavailable",
        StreamEnd.TokenExpired => "token_expired",
        StreamEnd.TokenRevoked => "token_revoked",
        _ => end.ToString(),
    };
}
