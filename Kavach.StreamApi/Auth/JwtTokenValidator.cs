using System.Collections.Concurrent;
using System.Security.Claims;
using Kavach.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Net.Http.Headers;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// Validates bearer tokens with ASP.NET Core's JWT bearer handler. A token that validated is remembered for up to a
/// minute (never past its expiry), so an emitter sending thousands of requests with one token pays for signature and
/// claims parsing once, not on every request.
/// </summary>
public sealed class JwtTokenValidator(TimeProvider time) : ITokenValidator
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
        if (_recent.TryGetValue(header, out var known) && now < known.Until)
        {
            context.User = known.Principal;
            return TokenCheck.Valid(known.Subscriber);
        }

        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal.FindFirst("sub")?.Value is not { Length: > 0 } subject)
        {
            return TokenCheck.Failed(TokenProblem.Invalid);
        }

        // "scope" is the OAuth 2.0 claim; Entra ID issues "scp". Both are space-separated lists.
        var scopes = result.Principal.FindAll(c => c.Type is KavachTokens.ScopeClaim or "scp")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        var subscriber = new Subscriber(subject, scopes);

        var until = now + RememberFor;
        if (long.TryParse(result.Principal.FindFirst("exp")?.Value, System.Globalization.CultureInfo.InvariantCulture, out var exp)
            && DateTimeOffset.FromUnixTimeSeconds(exp) < until)
        {
            until = DateTimeOffset.FromUnixTimeSeconds(exp);
        }

        if (_recent.Count >= MaxRemembered)
        {
            _recent.Clear();
        }

        _recent[header] = new Validated(subscriber, result.Principal, until);
        context.User = result.Principal;
        return TokenCheck.Valid(subscriber);
    }

    private sealed record Validated(Subscriber Subscriber, ClaimsPrincipal Principal, DateTimeOffset Until);
}
