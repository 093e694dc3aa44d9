using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Kavach.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Net.Http.Headers;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// Validates bearer tokens with ASP.NET Core's JWT bearer handler and reads what they grant. A token that validated
/// is remembered for up to a minute (never past its expiry), so an emitter sending thousands of requests with one token
/// pays for the signature and the claims once; revocation is checked on every use.
/// </summary>
public sealed class JwtTokenValidator(Revocations revocations, TimeProvider time) : ITokenValidator
{
    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(1);
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, Validated> _recent = new(StringComparer.Ordinal);

    public async Task<TokenCheck> ValidateAsync(HttpContext context)
    {
        if (!context.Request.Headers.TryGetValue(HeaderNames.Authorization, out var authorization) || authorization.Count == 0)
        {
            return TokenCheck.Failed(TokenProblem.Missing);
        }

        var now = time.GetUtcNow();
        var header = authorization.ToString();
        if (!_recent.TryGetValue(header, out var known) || now >= known.Until)
        {
            known = await AuthenticateAsync(context, now);
            if (known is null)
            {
                return TokenCheck.Failed(TokenProblem.Invalid);
            }

            if (_recent.Count >= MaxRemembered)
            {
                _recent.Clear();
            }

            _recent[header] = known;
        }

        if (revocations.IsRevoked(known.Subscriber))
        {
            return TokenCheck.Failed(TokenProblem.Revoked);
        }

        context.User = known.Principal;
        return TokenCheck.Valid(known.Subscriber);
    }

    private static async Task<Validated?> AuthenticateAsync(HttpContext context, DateTimeOffset now)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal.FindFirst("sub")?.Value is not { Length: > 0 } subject)
        {
            return null;
        }

        var reads = ReadGrant.FromClaims(result.Principal, subject, out var claimError);
        if (claimError is not null)
        {
            return null;
        }

        // "scope" is the OAuth 2.0 claim; Entra ID issues "scp". Both are space-separated lists.
        var scopes = result.Principal.FindAll(c => c.Type is KavachTokens.ScopeClaim or "scp")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        var expires = UnixTime(result.Principal, "exp");
        var subscriber = new Subscriber(subject, scopes, reads, result.Principal.FindFirst("jti")?.Value, UnixTime(result.Principal, "iat"), expires);

        var until = now + RememberFor;
        if (expires is { } exp && exp < until)
        {
            until = exp;
        }

        return new Validated(subscriber, result.Principal, until);
    }

    private static DateTimeOffset? UnixTime(ClaimsPrincipal principal, string claim) =>
        long.TryParse(principal.FindFirst(claim)?.Value, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    private sealed record Validated(Subscriber Subscriber, ClaimsPrincipal Principal, DateTimeOffset Until);
}
