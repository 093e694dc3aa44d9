namespace Kavach.Client;

/// <summary>How a <see cref="KavachClient"/> reaches the stream API and how patiently it reconnects.</summary>
public sealed class KavachClientOptions
{
    /// <summary>
    /// The API's address, e.g. <c>http://localhost:5080</c>, or <c>https+http://streamapi</c> with Aspire service
    /// discovery. Optional when the <see cref="HttpClient"/> given to the client already has a base address.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Called before every request — each stream (re)connect, each emit attempt, each page — for the bearer token
    /// to send. Return a fresh token when the last one is near its expiry: the stream ends with
    /// <c>TOKEN_EXPIRED</c> at the token's <c>exp</c> and resumes at once with whatever this returns.
    /// Null sends no token.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>The first wait before reconnecting after a failed connection; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The cap of the reconnect backoff.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The server's <c>Kavach:Stream:HeartbeatInterval</c> (30 s by default): a stream silent for
    /// <see cref="EffectiveStallTimeout"/> is taken for dead, dropped and resumed.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Overrides the stall timeout derived from <see cref="HeartbeatInterval"/>.</summary>
    public TimeSpan? StallTimeout { get; set; }

    /// <summary>Two missed heartbeats and a margin, unless <see cref="StallTimeout"/> says otherwise.</summary>
    public TimeSpan EffectiveStallTimeout => StallTimeout ?? (2 * HeartbeatInterval) + TimeSpan.FromSeconds(5);

    /// <summary>How long one emit attempt or page request may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per emit (the same ids each time) before <see cref="KavachUnavailableException"/>.</summary>
    public int EmitAttempts { get; set; } = 5;

    /// <summary>The clock for backoff waits; tests give a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (ReconnectInitialDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectInitialDelay)
        {
            throw new ArgumentException("ReconnectInitialDelay must be positive and not above ReconnectMaxDelay.");
        }

        if (EffectiveStallTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("StallTimeout (or HeartbeatInterval) and RequestTimeout must be positive.");
        }

        if (EmitAttempts < 1)
        {
            throw new ArgumentException("EmitAttempts must be at least 1.");
        }
    }
}
