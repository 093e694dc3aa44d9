using Kavach.Dashboard.Options;

namespace Kavach.Dashboard.Services.Response;

/// <summary>The Respond page's services: the response credential's tokens and the client that revokes with them, and nothing else does.</summary>
public static class ResponseServices
{
    public static IServiceCollection AddResponse(this IServiceCollection services, Uri streamApi)
    {
        services.AddSingleton<ResponderTokenProvider>();
        services.AddTransient<ResponderTokenHandler>();
        services.AddHttpClient<ResponderClient>(client => client.BaseAddress = streamApi)
            .AddHttpMessageHandler<ResponderTokenHandler>();
        return services;
    }
}
