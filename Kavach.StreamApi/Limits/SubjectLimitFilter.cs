using Kavach.StreamApi.Auth;

namespace Kavach.StreamApi.Limits;

/// <summary>The endpoint's per-subject limit, on the subject its <see cref="RequireToken"/> filter (which must run first) validated.</summary>
internal sealed class SubjectLimitFilter(LimitedEndpoint endpoint) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var subscriber = http.GetSubscriber();
        if (!subscriber.IsAnonymous && http.RequestServices.GetRequiredService<SubjectLimits>().Check(http, endpoint, subscriber.Id) is { } refused)
        {
            return refused;
        }

        return await next(context);
    }
}
