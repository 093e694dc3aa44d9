using Kavach.Contracts;
using Kavach.ServiceDefaults;
using Microsoft.Net.Http.Headers;

namespace Kavach.StreamApi.Auth;

/// <summary>
/// Browsers' EventSource cannot send an Authorization header, so the stream — and only the stream — takes a token as
/// <c>?token=</c>. This first middleware moves it into the header there (a header token wins), and strips it from the
/// query string of every request, so nothing later in the pipeline — routing, logging, exception pages — ever sees it
/// in the URL. On any other route a query-string token is ignored: send the header.
/// </summary>
public static class AccessTokenFromQuery
{
    public static IApplicationBuilder UseAccessTokenFromQuery(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (SensitiveQuery.Contains(request.QueryString))
            {
                if (request.Path.Equals(KavachRoutes.Stream, StringComparison.Ordinal)
                    && !request.Headers.ContainsKey(HeaderNames.Authorization)
                    && request.Query["token"].FirstOrDefault() is { Length: > 0 } token)
                {
                    request.Headers.Authorization = "Bearer " + token;
                }

                request.QueryString = new QueryString(SensitiveQuery.Redact(request.QueryString));
            }

            return next(context);
        });
}
