using System.Text;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Demo;
using Kavach.Dashboard.Services.Destinations;
using Kavach.Dashboard.Services.Feed;
using Kavach.Dashboard.Services.Response;
using Kavach.Dashboard.Services.Upstream;
using Kavach.ServiceDefaults;
using Kavach.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard;

public static class DashboardServices
{
    public static IHostApplicationBuilder AddDashboardServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.AddConsoleAccess();
        builder.AddPersistentDataProtection();
        builder.AddDashboardOptions();

        var streamApi = builder.Configuration.GetSection(StreamApiOptions.Section).Get<StreamApiOptions>()?.BaseAddress
            ?? new StreamApiOptions().BaseAddress;
        builder.Services.AddTransient<ServiceTokenHandler>();
        builder.Services.AddHttpClient(ServiceTokenProvider.HttpClientName, client => client.BaseAddress = streamApi);
        builder.Services.AddHttpClient<StreamApiClient>(client => client.BaseAddress = streamApi)
            .AddHttpMessageHandler<ServiceTokenHandler>();
        builder.Services.AddConsoleAlerts(streamApi);
        builder.Services.AddTransient<AdminTokenHandler>();
        builder.Services.AddHttpClient<DestinationsClient>(client => client.BaseAddress = streamApi)
            .AddHttpMessageHandler<AdminTokenHandler>();
        builder.Services.AddResponse(streamApi);
        builder.Services.AddKavachClient((services, client) =>
        {
            var api = services.GetRequiredService<IOptions<StreamApiOptions>>().Value;
            var tokens = services.GetRequiredService<ServiceTokenProvider>();
            client.BaseAddress = streamApi;
            client.AccessTokenProvider = async cancellationToken => await tokens.GetTokenAsync(cancellationToken);
            client.ReconnectInitialDelay = api.ReconnectInitialDelay;
            client.ReconnectMaxDelay = api.ReconnectMaxDelay;
            client.StallTimeout = api.StallTimeout;
            client.TimeProvider = services.GetRequiredService<TimeProvider>();
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ServiceTokenProvider>();
        builder.Services.AddSingleton<EventFeed>();
        builder.Services.AddSingleton<Kavach.Dashboard.Services.History.ExportProgressBoard>();
        builder.Services.AddSingleton<UpstreamStatusBoard>();
        builder.Services.AddSingleton<UpstreamStreamClient>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UpstreamStreamClient>());
        builder.Services.AddHostedService<ApiConnectionsWatcher>();
        builder.Services.AddSingleton<Kavach.Dashboard.Services.Integrity.ChainWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Kavach.Dashboard.Services.Integrity.ChainWatcher>());
        builder.Services.AddSingleton<DestinationsWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DestinationsWatcher>());
        builder.Services.AddSingleton<DemoTrafficGenerator>();

        return builder;
    }

    private static void AddDashboardOptions(this IHostApplicationBuilder builder)
    {
        var isDevelopment = builder.Environment.IsDevelopment();

        builder.Services.AddOptions<FeedOptions>()
            .BindConfiguration(FeedOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddOptions<StreamApiOptions>()
            .Configure(o => o.EnableDemoTraffic = isDevelopment)
            .BindConfiguration(StreamApiOptions.Section)
            .ValidateDataAnnotations()
            .Validate(api => !string.IsNullOrWhiteSpace(api.Token) || (!string.IsNullOrWhiteSpace(api.ClientId) && !string.IsNullOrEmpty(api.ClientSecret)),
                $"The console needs credentials for the stream API: {StreamApiOptions.Section}:ClientId and ClientSecret (the AppHost passes them), " +
                $"or a ready-made {StreamApiOptions.Section}:Token.")
            .Validate(o => !o.EnableDemoTraffic || isDevelopment,
                $"{StreamApiOptions.Section}:EnableDemoTraffic is for Development only: it gives the console's token the events:emit scope.")
            .Validate(o => o.ReconnectInitialDelay > TimeSpan.Zero && o.ReconnectMaxDelay >= o.ReconnectInitialDelay,
                $"{StreamApiOptions.Section}:ReconnectInitialDelay must be positive and not above ReconnectMaxDelay.")
            .Validate(o => o.StallTimeout >= TimeSpan.FromSeconds(5),
                $"{StreamApiOptions.Section}:StallTimeout must be at least 5 seconds.")
            .Validate(o => o.DestinationsPollInterval >= TimeSpan.FromSeconds(1),
                $"{StreamApiOptions.Section}:DestinationsPollInterval must be at least 1 second.")
            .ValidateOnStart();
    }
}
