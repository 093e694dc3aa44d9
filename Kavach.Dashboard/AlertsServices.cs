using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Alerts;
using Kavach.Dashboard.Services.Upstream;
using Microsoft.Extensions.Options;

namespace Kavach.Dashboard;

/// <summary>
/// The console's alerts (docs/console.md, "Alerts" and "Rules"): the rules over the feed, the raises on their way to
/// the API, the reader of the open alerts, and the client and actions the pages use.
/// </summary>
public static class AlertsServices
{
    public static IServiceCollection AddConsoleAlerts(this IServiceCollection services, Uri streamApi)
    {
        services.AddOptions<AlertRulesOptions>()
            .BindConfiguration(AlertRulesOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AlertRulesOptions>, AlertRulesValidation>();

        services.AddTransient<AlertsTokenHandler>();
        services.AddHttpClient<AlertsClient>(client => client.BaseAddress = streamApi)
            .AddHttpMessageHandler<AlertsTokenHandler>();
        services.AddScoped<AlertActions>();
        services.AddSingleton<PendingRaises>();
        services.AddSingleton<AlertsWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertsWatcher>());
        services.AddHostedService<AlertRaiser>();
        return services;
    }
}
