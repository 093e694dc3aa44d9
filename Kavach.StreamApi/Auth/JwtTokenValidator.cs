using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// Validates bearer tokens with ASP.NET Core's JWT bearer handler (signature, issuer, audience, lifetime), then reads
/// what they grant from the validated token's JSON payload (<see cref="TokenClaims"/>). A token that validated is
/// remembered for up to a minute (never past its expiry), so an emitter sending thousands of requests with one token
/// pays for the signature and the claims once; revocation is checked on every use.
/// </summary>
public sealed class JwtTokenValidator(TokenStanding standing, TimeProvider time) : ITokenValidator
{
    /// <summary>Where the JWT handler's <c>OnTokenValidated</c> leaves the validated token for this validator.</summary>
    public const string ValidatedTokenParameter = "kavach.validated-token";

    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(1);
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, Validated> _recent = new(StringComparer.Ordinal);

    /// <summary>Hands the validated token to <see cref="ValidateAsync"/> (set as the JWT handler's event).</summary>
    public static Task KeepValidatedToken(TokenValidatedContext context)
    {
        context.Properties.SetParameter(ValidatedTokenParameter, context.SecurityToken);
        return Task.CompletedTask;
    }

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
            var (validated, problem) = await AuthenticateAsync(context, now);
            if (validated is null)
            {
                return TokenCheck.Failed(TokenProblem.Invalid, problem);
            }

            if (_recent.Count >= MaxRemembered)
            {
                _recent.Clear();
            }

            _recent[header] = known = validated;
        }

        switch (await standing.AtRequestAsync(known.Subscriber, context.RequestAborted))
        {
            case Standing.Revoked:
                return TokenCheck.Failed(TokenProblem.Revoked);
            case Standing.Unknown:
                return TokenCheck.Failed(TokenProblem.Unverifiable);
        }

        context.User = known.Principal;
        return TokenCheck.Valid(known.Subscriber);
    }

    private static async Task<(Validated?, string?)> AuthenticateAsync(HttpContext context, DateTimeOffset now)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded)
        {
            return (null, null);
        }

        if (Payload(result.Properties?.GetParameter<SecurityToken>(ValidatedTokenParameter)) is not { } payload)
        {
            return (null, "The token's payload could not be read.");
        }

        using (payload)
        {
            if (!TokenClaims.TryRead(payload.RootElement, out var subscriber, out var error))
            {
                return (null, error);
            }

            var until = now + RememberFor;
            if (subscriber!.ExpiresAt is { } exp && exp < until)
            {
                until = exp;
            }

            return (new Validated(subscriber, result.Principal, until), null);
        }
    }

    /// <summary>The JSON payload of a validated JWT (the inner token of an encrypted one).</summary>
    private static JsonDocument? Payload(SecurityToken? token) =>
        token is JsonWebToken jwt && (jwt.InnerToken ?? jwt).EncodedPayload is { Length: > 0 } encoded
            ? JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(encoded))
            : null;

    private sealed record Validated(Subscriber Subscriber, ClaimsPrincipal Principal, DateTimeOffset Until);
}
