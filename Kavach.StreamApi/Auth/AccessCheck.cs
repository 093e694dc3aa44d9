using Kavach.Contracts;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// The answer to "may this request do that": a subscriber, or why not (401: no valid token, with what is wrong with it
/// when that can be said; 503: its revocation cannot be checked now; 403: a missing scope).
/// </summary>
public readonly record struct Access(Subscriber? Subscriber, TokenProblem Unauthorized, string? Forbidden, string? Detail = null)
{
    public bool Granted => Subscriber is not null;
}

/// <summary>
/// The one place a request's token is checked against what it wants to do — the stream and every JSON endpoint go
/// through it. Reading needs <c>events:read</c> (unless <c>Kavach:Auth:AllowReadWithoutScope</c>), emitting
/// <c>events:emit</c>, revoking <c>events:admin</c> or <c>events:revoke</c>. With <c>Kavach:Stream:RequireAuth=false</c>
/// everyone reads and emits as <see cref="Subscriber.Anonymous"/>, but revoking (and administering) still takes a token
/// with its scope: turning tokens off must not let anyone lift or impose revocations.
/// </summary>
public sealed class AccessCheck(ITokenValidator tokens, IOptions<StreamOptions> stream, IOptions<AuthOptions> auth)
{
    public async Task<Access> CheckAsync(HttpContext context, string scope)
    {
        if (!stream.Value.RequireAuth && scope is not (KavachScopes.Admin or KavachScopes.Revoke))
        {
            return new Access(Subscriber.Anonymous, default, null);
        }

        var check = await tokens.ValidateAsync(context);
        if (check.Subscriber is not { } subscriber)
        {
            return new Access(null, check.Problem, null, check.Detail);
        }

        // A response credential (events:revoke) never reads, not even while older tokens may read without the scope.
        if (!subscriber.HasScope(scope)
            && !(scope == KavachScopes.Read && auth.Value.AllowReadWithoutScope && !subscriber.HasScope(KavachScopes.Revoke)))
        {
            return new Access(null, default,
                $"This token lacks the '{scope}' scope. Ask for a token whose 'scope' claim includes it.");
        }

        return new Access(subscriber, default, null);
    }
}
