namespace Kavach.StreamApi.Auth;

/// <summary>
/// Endpoint filter like <see cref="RequireToken"/>, for endpoints that more than one scope opens: a valid token (401
/// otherwise) with any of the scopes (403 naming them all). The SSF read endpoints take <c>ssf.read</c> or
/// <c>ssf.manage</c>: who may change a stream may read it.
/// </summary>
public sealed class RequireAnyScope(params string[] scopes) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var check = http.RequestServices.GetRequiredService<AccessCheck>();
        Access access = default;
        foreach (var scope in scopes)
        {
            access = await check.CheckAsync(http, scope);
            if (access.Subscriber is { } subscriber)
            {
                http.SetSubscriber(subscriber);
                return await next(context);
            }

            if (access.Forbidden is null)
            {
                return TokenRefusals.Unauthorized(http, access.Unauthorized, access.Detail); // the token itself is the problem
            }
        }

        return TokenRefusals.Forbidden(
            $"This token lacks the scope for this request: it needs {string.Join(" or ", scopes.Select(s => $"'{s}'"))}. Ask for a token whose 'scope' claim includes one.");
    }
}
