namespace Kavach.StreamApi.Auth;

/// <summary>Whether an accepted token still speaks for its holder.</summary>
public enum Standing
{
    Good,

    /// <summary>Past its <c>exp</c>: an open stream ends (a request was already refused by the JWT handler).</summary>
    Expired,

    /// <summary>The token, its subject, or the agent it speaks for was revoked.</summary>
    Revoked,

    /// <summary>Revocations were not read recently enough to say: refuse (503) or pause, never guess.</summary>
    Unknown,
}

/// <summary>
/// The one owner of "is this token still good" after its signature and claims were accepted. Every path asks it: the
/// request (stream, pages, replay, verify, emit) through <see cref="JwtTokenValidator"/>, the open stream before every
/// write, whether from the live buffer or from PostgreSQL, and the sweep and revocation follow-up in
/// <see cref="Streaming.OpenStreams"/>. At a request, <c>exp</c> was checked by the JWT handler with
/// <c>Kavach:Auth:ClockSkew</c> of tolerance; an open stream ends at <c>exp</c> itself.
/// </summary>
public sealed class TokenStanding(IRevocationList revocations, TimeProvider time)
{
    /// <summary>How long a request waits for revocations to be read when they are not current, before it is refused.</summary>
    public static readonly TimeSpan RefreshWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A request's token, as <see cref="AtRequest"/>; when revocations are not current it first waits (up to
    /// <see cref="RefreshWait"/>) for them to be read, so a late follower does not refuse good tokens.
    /// </summary>
    public async ValueTask<Standing> AtRequestAsync(Subscriber subscriber, CancellationToken cancellationToken)
    {
        var standing = AtRequest(subscriber);
        if (standing == Standing.Unknown && await revocations.RefreshAsync(RefreshWait, cancellationToken))
        {
            standing = AtRequest(subscriber);
        }

        return standing;
    }

    /// <summary>A request's token: revocations decide (the JWT handler checked its lifetime).</summary>
    public Standing AtRequest(Subscriber subscriber) => revocations.Check(subscriber) switch
    {
        RevocationStatus.Revoked => Standing.Revoked,
        RevocationStatus.Unknown => Standing.Unknown,
        _ => Standing.Good,
    };

    /// <summary>An open stream's token: its expiry, then revocations.</summary>
    public Standing WhileOpen(Subscriber subscriber) =>
        !subscriber.IsAnonymous && subscriber.ExpiresAt <= time.GetUtcNow() ? Standing.Expired : AtRequest(subscriber);
}
