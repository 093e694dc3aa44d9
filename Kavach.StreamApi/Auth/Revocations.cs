using System.Collections.Concurrent;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// The revocations every replica knows, kept in memory and followed in PostgreSQL (every second, and at once when a
/// replica revokes): a token by its <c>jti</c>, or a subject's tokens issued up to the moment of revocation. A token
/// revoked anywhere is refused here within about a second, and <see cref="Added"/> ends the streams it holds.
/// </summary>
public sealed class Revocations(RevocationStore store, TimeProvider time, ILogger<Revocations> logger) : BackgroundService
{
    private static readonly TimeSpan FollowEvery = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Revocation> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Revocation> _subjects = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _following = new(1, 1);
    private long _lastId;

    /// <summary>Raised for each revocation this replica learns of (streams end on it).</summary>
    public event Action<Revocation>? Added;

    public bool IsRevoked(Subscriber subscriber)
    {
        if (subscriber.TokenId is { } jti && _tokens.ContainsKey(jti))
        {
            return true;
        }

        // A subject revocation covers tokens issued up to it; a token without iat cannot show it is newer.
        return _subjects.TryGetValue(subscriber.Id, out var revoked)
            && (subscriber.IssuedAt is not { } issued || issued <= revoked.RevokedAt);
    }

    public async Task<Revocation> RevokeAsync(RevocationKind kind, string value, string? reason, string revokedBy, TimeSpan keepFor,
        CancellationToken cancellationToken)
    {
        var revocation = await store.AddAsync(kind, value, reason, revokedBy, keepFor, cancellationToken);
        await FollowAsync(cancellationToken);
        return revocation;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FollowEvery);
        do
        {
            try
            {
                await FollowAsync(stoppingToken);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Reading revocations failed; retrying");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        await _following.WaitAsync(cancellationToken);
        try
        {
            foreach (var revocation in await store.ReadAsync(_lastId, cancellationToken))
            {
                (revocation.Kind == RevocationKind.Token ? _tokens : _subjects)[revocation.Value] = revocation;
                _lastId = revocation.Id;
                logger.LogInformation("Revoked {Kind} {Value} by {RevokedBy}: {Reason}",
                    revocation.Kind, revocation.Value, revocation.RevokedBy, revocation.Reason);
                Added?.Invoke(revocation);
            }

            // Past its keep-for time, a revocation outlived every token it could match.
            var now = time.GetUtcNow();
            foreach (var known in new[] { _tokens, _subjects })
            {
                foreach (var (value, revocation) in known)
                {
                    if (revocation.ExpiresAt <= now)
                    {
                        known.TryRemove(value, out _);
                    }
                }
            }
        }
        finally
        {
            _following.Release();
        }
    }
}
