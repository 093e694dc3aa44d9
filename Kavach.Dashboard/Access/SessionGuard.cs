using System.Security.Claims;
using Kavach.Dashboard.Options;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard.Access;

/// <summary>
/// Whether a signed-in session may go on. OpenID Connect sessions are checked with the provider at most every
/// <see cref="ConsoleAuthOptions.RevalidateEvery"/> (<see cref="SessionRevalidator"/>); access-key sessions end when the
/// key they were opened with is no longer the console's key.
/// </summary>
public sealed class SessionGuard(
    IOptions<ConsoleAccessOptions> access, IOptions<ConsoleAuthOptions> auth, ConsoleSessions sessions, SessionRevalidator revalidator,
    TimeProvider clock, ILogger<SessionGuard> logger)
{
    /// <param name="cookieRefreshToken">The refresh token the session's cookie holds; none for a Blazor circuit.</param>
    public async Task<SessionCheck?> CheckAsync(ClaimsPrincipal user, string? cookieRefreshToken, CancellationToken cancellationToken)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        switch (access.Value.Mode)
        {
            case ConsoleAuthMode.AccessKey:
                return user.FindFirst(ConsolePrincipal.KeyStampClaim)?.Value == ConsolePrincipal.KeyStamp(access.Value.AccessKey ?? "")
                    ? null
                    : Ended(user, null, "the access key has changed");
            case ConsoleAuthMode.Oidc:
                break;
            default:
                return null;
        }

        var sessionId = user.FindFirst(ConsolePrincipal.SessionClaim)?.Value;
        if (sessionId is null)
        {
            return Ended(user, null, "the session has no id");
        }

        var known = sessions.Find(sessionId);
        if (known?.EndedBecause is { } reason)
        {
            return SessionCheck.Ended(reason);
        }

        var refreshToken = known?.RefreshToken ?? cookieRefreshToken;
        if (refreshToken is null || !SessionCheck.IsDue(known?.CheckedAt, clock.GetUtcNow(), auth.Value.RevalidateEvery))
        {
            // Not due; or a circuit whose session this process has not seen since it started (its next request brings the token).
            return null;
        }

        var check = await revalidator.CheckAsync(refreshToken, ConsolePrincipal.RolesIn(user), cancellationToken);
        if (check.HasEnded)
        {
            return Ended(user, sessionId, check.Reason!);
        }

        sessions.Checked(sessionId, check.RefreshToken!);
        return check;
    }

    private SessionCheck Ended(ClaimsPrincipal user, string? sessionId, string reason)
    {
        if (sessionId is not null)
        {
            sessions.End(sessionId, reason);
        }

        logger.LogInformation("The console session of {User} ended: {Reason}.", ConsoleUser.NameOf(user), reason);
        return SessionCheck.Ended(reason);
    }
}
