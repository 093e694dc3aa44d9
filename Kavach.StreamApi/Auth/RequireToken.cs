using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

using Kavach.StreamApi.Apis;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// Endpoint filter for the JSON endpoints: a valid token (401 otherwise) and, where named, a scope (403).
/// With <c>Kavach:Stream:RequireAuth=false</c> every caller is let through as <see cref="Subscriber.Anonymous"/>.
/// </summary>
public sealed class RequireToken(string? scope = null) : IEndpointFilter
{
    public const string SubscriberItem = "kavach.subscriber";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var options = http.RequestServices.GetRequiredService<IOptions<StreamOptions>>().Value;
        if (!options.RequireAuth)
        {
            http.Items[SubscriberItem] = Subscriber.Anonymous;
            return await next(context);
        }

        var check = await http.RequestServices.GetRequiredService<ITokenValidator>().ValidateAsync(http);
        if (check.Subscriber is not { } subscriber)
        {
            return Problems.Unauthorized(http, check.Problem);
        }

        if (scope is not null && !subscriber.HasScope(scope))
        {
            return Problems.Forbidden($"This token lacks the '{scope}' scope. Ask for a token whose 'scope' claim includes it.");
        }

        http.Items[SubscriberItem] = subscriber;
        return await next(context);
    }
}
