using Kavach.Dashboard.Services;

namespace Kavach.Dashboard;

public static class DashboardServices
{
    public static IHostApplicationBuilder AddDashboardServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();

        var streamApi = new Uri(builder.Configuration["StreamApi:BaseAddress"] ?? "http://streamapi");
        builder.Services.AddHttpClient<StreamApiClient>(client => client.BaseAddress = streamApi);

        return builder;
    }
}
