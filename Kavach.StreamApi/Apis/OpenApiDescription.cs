using Kavach.Contracts;
using Kavach.StreamApi.Auth;

namespace Kavach.StreamApi.Apis;

/// <summary>
/// <c>/openapi/v1.json</c>: open in Development; elsewhere only for a token that may read (a map of every route and
/// parameter is a head start for anyone probing a production API).
/// </summary>
public static class OpenApiDescription
{
    public static WebApplication MapOpenApiDescription(this WebApplication app)
    {
        var description = app.MapOpenApi();
        if (!app.Environment.IsDevelopment())
        {
            description.AddEndpointFilter(new RequireToken(KavachScopes.Read));
        }

        return app;
    }
}
