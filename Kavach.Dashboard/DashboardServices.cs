using System.Text;
using Kavach.Dashboard.Access;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Demo;
using Kavach.Dashboard.Services.Feed;
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
        builder.AddDashboardOptions();

        var streamApi = builder.Configuration.GetSection(StreamApiOptions.Section).Get<StreamApiOptions>()?.BaseAddress
            ?? new StreamApiOptions().BaseAddress;
        builder.Services.AddTransient<ServiceTokenHandler>();
        builder.Services.AddHttpClient<StreamApiClient>(client => client.BaseAddress = streamApi)
            .AddHttpMessageHandler<ServiceTokenHandler>();
        builder.Services.AddStreamingHttpClient(UpstreamStreamClient.HttpClientName, streamApi);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ServiceTokenProvider>();
        builder.Services.AddSingleton<EventFeed>();
        builder.Services.AddSingleton<UpstreamStreamClient>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UpstreamStreamClient>());
        builder.Services.AddHostedService<ApiConnectionsWatcher>();
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

        builder.Services.AddOptions<KavachAuthOptions>()
            .BindConfiguration(KavachAuthOptions.Section)
            .Validate(o => o.SigningKey is null || Encoding.UTF8.GetByteCount(o.SigningKey) >= KavachTokens.MinimumSigningKeyBytes,
                $"{KavachTokens.SigningKeyKey} must be at least {KavachTokens.MinimumSigningKeyBytes} bytes for HS256.")
            .ValidateOnStart();

        builder.Services.AddOptions<StreamApiOptions>()
            .Configure(o => o.EnableDemoTraffic = isDevelopment)
            .BindConfiguration(StreamApiOptions.Section)
            .ValidateDataAnnotations()
            .Validate<IOptions<KavachAuthOptions>>(
                (api, auth) => !string.IsNullOrWhiteSpace(api.Token) || !string.IsNullOrWhiteSpace(auth.Value.SigningKey),
                $"The console needs a service token: set {KavachTokens.SigningKeyKey} (the AppHost passes it) or {StreamApiOptions.Section}:Token.")
            .Validate(o => !o.EnableDemoTraffic || isDevelopment,
                $"{StreamApiOptions.Section}:EnableDemoTraffic is for Development only: it gives the console's token the events:emit scope.")
            .Validate(o => o.ReconnectInitialDelay > TimeSpan.Zero && o.ReconnectMaxDelay >= o.ReconnectInitialDelay,
                $"{StreamApiOptions.Section}:ReconnectInitialDelay must be positive and not above ReconnectMaxDelay.")
            .Validate(o => o.TokenLifetime >= TimeSpan.FromMinutes(1) && o.StallTimeout >= TimeSpan.FromSeconds(5),
                $"{StreamApiOptions.Section}:TokenLifetime must be at least 1 minute and StallTimeout at least 5 seconds.")
            .ValidateOnStart();
    }
}
