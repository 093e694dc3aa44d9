namespace Kavach.StreamApi.Auth;

/// <summary>
/// Endpoint filter for the JSON endpoints: a valid token (401 otherwise) with the scope the endpoint needs (403). The
/// subscriber it found is the request's <see cref="SubscriberFeature"/>.
/// </summary>
public sealed class RequireToken(string scope) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var access = await http.RequestServices.GetRequiredService<AccessCheck>().CheckAsync(http, scope);
        if (access.Forbidden is { } forbidden)
        {
            return TokenRefusals.Forbidden(forbidden);
        }

        if (access.Subscriber is not { } subscriber)
        {
            return TokenRefusals.Unauthorized(http, access.Unauthorized, access.Detail);
        }

        http.SetSubscriber(subscriber);
        return await next(context);
    }
}
