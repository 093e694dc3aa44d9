using Kavach.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Net.Http.Headers;

namespace Kavach.StreamApi.Auth;

public sealed class JwtTokenValidator : ITokenValidator
{
    public async Task<TokenCheck> ValidateAsync(HttpContext context)
    {
        if (!context.Request.Headers.ContainsKey(HeaderNames.Authorization))
        {
            return TokenCheck.Failed(TokenProblem.Missing);
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

        context.User = result.Principal;
        return TokenCheck.Valid(new Subscriber(subject, scopes));
    }
}
