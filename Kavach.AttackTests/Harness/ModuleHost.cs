using Kavach.Processes;
using Kavach.StreamApi.Module;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// The stream API hosted inside the test process on the cluster's PostgreSQL, for the one read path that is not HTTP:
/// the in-process module (<see cref="EventStreamModule"/>) that plugins call.
/// </summary>
public sealed class ModuleHost(AttackCluster cluster) : WebApplicationFactory<EventStreamModule>
{
    public static async Task<ModuleHost> StartAsync(AttackCluster cluster)
    {
        var host = new ModuleHost(cluster);
        host.StartServer();
        await host.Services.GetRequiredService<Kavach.StreamApi.FanOut.EventHub>().Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    public EventStreamModule Module => Services.GetRequiredService<EventStreamModule>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:kavachdb", AttackCluster.ServiceConnectionString(cluster.Postgres, PostgresServer.Database));
        builder.UseSetting("Kavach:Auth:SigningKey", AttackCluster.SigningKey);
    }
}
