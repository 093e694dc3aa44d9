namespace Kavach.Dashboard.Access;

/// <summary>
/// For the console's POSTs that scripts and the AppHost send, never a browser form (demo traffic, dropping the
/// upstream): they must carry <c>X-Kavach-Console</c>. A page on another site can post a form, which cannot set a
/// header, or send a fetch with one only after a CORS preflight, which the console never approves — so a request
/// carrying it did not come from another site. (Browser forms get ASP.NET Core's antiforgery token instead.)
/// </summary>
public sealed class RequireConsoleHeader : IEndpointFilter
{
    public const string HeaderName = "X-Kavach-Console";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!context.HttpContext.Request.Headers.ContainsKey(HeaderName))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a console request",
                detail: $"Send the header '{HeaderName}: 1' with this request (curl -H '{HeaderName}: 1'). A web page on another site " +
                "cannot send it, which is what keeps such pages from calling this endpoint.");
        }

        return await next(context);
    }
}
