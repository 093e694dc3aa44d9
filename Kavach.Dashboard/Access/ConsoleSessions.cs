using System.Collections.Concurrent;

namespace Kavach.Dashboard.Access;

/// <summary>
/// The OpenID Connect sessions this console process has seen, by session id: the newest refresh token and when the
/// session was last checked, or that it has ended. Both the cookie check (on each request) and each open Blazor
/// circuit (which sends no requests) consult it, so a session ended by one ends in the other too. In memory: after a
/// restart each cookie brings its own refresh token again.
/// </summary>
public sealed class ConsoleSessions(TimeProvider clock)
{
    private static readonly TimeSpan Forget = TimeSpan.FromHours(12);
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public sealed record Session(string? RefreshToken, DateTimeOffset CheckedAt, string? EndedBecause);

    public Session? Find(string? sessionId) => sessionId is not null && _sessions.TryGetValue(sessionId, out var session) ? session : null;

    public void Checked(string sessionId, string refreshToken)
    {
        var now = clock.GetUtcNow();
        _sessions[sessionId] = new Session(refreshToken, now, null);
        foreach (var (id, old) in _sessions)
        {
            if (now - old.CheckedAt > Forget)
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }

    public void End(string sessionId, string reason) => _sessions[sessionId] = new Session(null, clock.GetUtcNow(), reason);
}
