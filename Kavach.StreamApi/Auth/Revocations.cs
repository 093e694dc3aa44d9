using System.Collections.Concurrent;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Auth;

public enum RevocationStatus
{
    Valid,
    Revoked,

    /// <summary>Revocations were not read recently enough to say: refuse (503) rather than guess.</summary>
    Unknown,
}

/// <summary>
/// The revocations every replica knows — a token by its <c>jti</c>, a subject's tokens, an agent's tokens, each issued
/// up to the moment of revocation — kept in memory and followed in PostgreSQL in commit order (every
/// <c>Kavach:Auth:RevocationFollowInterval</c>, and at once when this replica commits one). The one owner of "is this
/// token revoked" (<see cref="TokenStanding"/> asks it on every path). A revocation committed at T is enforced everywhere by T + <c>RevocationMaxAge</c>: past that age
/// without a successful read, every check answers <see cref="RevocationStatus.Unknown"/>, and tokens are refused.
/// </summary>
public sealed class Revocations(
    RevocationStore store,
    ISchemaReady schema,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<Revocations> logger)
    : BackgroundService, IHealthCheck, IRevocationList
{
    private readonly AuthOptions _options = options.Value;
    private readonly ConcurrentDictionary<(RevocationKind, string), Revocation> _revoked = new();
    private readonly ConcurrentDictionary<long, DateTimeOffset> _seen = new();
    private readonly SemaphoreSlim _following = new(1, 1);
    private readonly Lock _refreshing = new();
    private Task? _refresh;
    private ulong _nextFrom;
    private long _readAt = long.MinValue; // TimeProvider timestamp of the start of the last successful read

    /// <summary>Raised for each revocation this replica learns of (streams end on it).</summary>
    public event Action<Revocation>? Added;

    /// <summary>Raised when revocations are known again after a time they were not (paused streams go on).</summary>
    public event Action? Known;

    /// <summary>Whether the last successful read is recent enough for <see cref="Check"/> to answer.</summary>
    public bool IsCurrent => Volatile.Read(ref _readAt) is var readAt && readAt != long.MinValue
        && time.GetElapsedTime(readAt) <= _options.RevocationMaxAge;

    /// <summary>Whether a revocation this replica knows covers the token; <see cref="TokenStanding"/> is who asks.</summary>
    public RevocationStatus Check(Subscriber subscriber)
    {
        if (subscriber.IsAnonymous)
        {
            return RevocationStatus.Valid;
        }

        if (Holds(RevocationKind.Token, subscriber.TokenId, subscriber)
            || Holds(RevocationKind.Subject, subscriber.Id, subscriber)
            || Holds(RevocationKind.Agent, subscriber.Agent, subscriber))
        {
            return RevocationStatus.Revoked;
        }

        return IsCurrent ? RevocationStatus.Valid : RevocationStatus.Unknown;
    }

    private bool Holds(RevocationKind kind, string? value, Subscriber subscriber) =>
        value is not null && _revoked.TryGetValue((kind, value), out var revocation) && Covers(revocation, subscriber);

    /// <summary>
    /// The rule: a token revocation covers that token; a subject or agent revocation covers the subject's (or the agent's
    /// own) tokens issued up to it — a token without <c>iat</c> cannot show it is newer.
    /// </summary>
    private static bool Covers(Revocation revocation, Subscriber subscriber) => revocation.Kind switch
    {
        RevocationKind.Token => subscriber.TokenId == revocation.Value,
        RevocationKind.Subject => subscriber.Id == revocation.Value && IssuedBy(subscriber, revocation),
        _ => subscriber.Agent == revocation.Value && IssuedBy(subscriber, revocation),
    };

    private static bool IssuedBy(Subscriber subscriber, Revocation revocation) =>
        subscriber.IssuedAt is not { } issued || issued <= revocation.RevokedAt;

    /// <summary>
    /// Reads revocations now, or joins the read under way, for at most <paramref name="wait"/>: a follower that fell
    /// behind (a busy replica's timer runs late) costs a request a short wait, not a 503. True when they are current.
    /// </summary>
    public async Task<bool> RefreshAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        Task refresh;
        lock (_refreshing)
        {
            if (_refresh is null || _refresh.IsCompleted)
            {
                _refresh = FollowOrLogAsync();
            }

            refresh = _refresh;
        }

        try
        {
            await refresh.WaitAsync(wait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
        }

        return IsCurrent;
    }

    private async Task FollowOrLogAsync()
    {
        try
        {
            await FollowAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // Whatever went wrong, the waiting requests must not see it: revocations stay not current, and tokens are refused.
            logger.LogWarning(e, "Reading revocations on demand failed; tokens are refused until a read succeeds");
        }
    }

    /// <summary>Reads what was revoked since the last read; revocations that may commit later are read again next time.</summary>
    public async Task FollowAsync(CancellationToken cancellationToken)
    {
        await _following.WaitAsync(cancellationToken);
        try
        {
            var started = time.GetTimestamp();
            var read = await store.FollowAsync(_nextFrom, cancellationToken);
            foreach (var revocation in read.Revocations)
            {
                if (_seen.TryAdd(revocation.Id, revocation.ExpiresAt))
                {
                    Remember(revocation);
                    logger.LogInformation("Revoked {Kind} {Value} by {RevokedBy}: {Reason}",
                        revocation.Kind, revocation.Value, revocation.RevokedBy, revocation.Reason);
                    Added?.Invoke(revocation);
                }
            }

            _nextFrom = read.NextFrom;
            Forget(time.GetUtcNow());
            var wasCurrent = IsCurrent;
            Volatile.Write(ref _readAt, started);
            if (!wasCurrent)
            {
                Known?.Invoke();
            }
        }
        finally
        {
            _following.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(_options.RevocationFollowInterval, time);
        do
        {
            try
            {
                await FollowAsync(stoppingToken);
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e) || (e is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                logger.LogWarning(e, "Reading revocations failed; retrying. Tokens are refused once the last read is older than {MaxAge}",
                    _options.RevocationMaxAge);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Two revocations of the same token, subject or agent cover the later issue time and the later expiry.</summary>
    private void Remember(Revocation revocation) =>
        _revoked.AddOrUpdate((revocation.Kind, revocation.Value), revocation, (_, known) => known with
        {
            RevokedAt = revocation.RevokedAt > known.RevokedAt ? revocation.RevokedAt : known.RevokedAt,
            ExpiresAt = revocation.ExpiresAt > known.ExpiresAt ? revocation.ExpiresAt : known.ExpiresAt,
        });

    /// <summary>Past its keep-for time, a revocation outlived every token it could match.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, revocation) in _revoked)
        {
            if (revocation.ExpiresAt <= now)
            {
                _revoked.TryRemove(key, out _);
            }
        }

        foreach (var (id, expires) in _seen)
        {
            if (expires <= now)
            {
                _seen.TryRemove(id, out _);
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(IsCurrent
            ? HealthCheckResult.Healthy("Revocations are current.")
            : new HealthCheckResult(context.Registration.FailureStatus,
                $"Revocations were not read within {_options.RevocationMaxAge}: every token is refused until they are."));
}
