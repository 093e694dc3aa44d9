using Kavach.StreamApi.Module;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.Tests.Support;

/// <summary>
/// An extra stream API instance in this test process, on the test system's real PostgreSQL (and Redis, when
/// given), with settings of the test's choosing: a module allow-list, no Redis, auth off.
/// </summary>
public sealed class StreamApiHost(IDictionary<string, string?> settings) : WebApplicationFactory<EventStreamModule>
{
    public static async Task<StreamApiHost> StartAsync(bool withRedis, IDictionary<string, string?>? overrides = null, bool onKestrel = false)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = await KavachSystem.DatabaseConnectionStringAsync(),
            ["Kavach:Auth:SigningKey"] = KavachSystem.SigningKey,
            // A replica of the same deployment signs with its key: a checkpoint signed with another would be a forgery,
            // and the system's replicas would rightly refuse to sign after it.
            ["Kavach:Integrity:CheckpointKey"] = KavachSystem.CheckpointKey.ExportPkcs8PrivateKeyPem(),
            // The test system's PostgreSQL has the default 100 connections, and its two replicas may use 28 each: an extra
            // host (two at once in the takeover tests) gets a smaller emit pool, so its connections fit beside theirs.
            ["Kavach:Database:MaxPoolSize"] = "6",
        };
        if (withRedis)
        {
            settings["ConnectionStrings:redis"] = await KavachSystem.RedisConnectionStringAsync();
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var host = new StreamApiHost(settings);
        if (onKestrel)
        {
            host.UseKestrel(0); // a real socket: client addresses and stalled sockets are real
        }

        host.StartServer(); // so a bad setting fails here
        await host.Services.GetRequiredService<Kavach.StreamApi.FanOut.EventHub>().Ready.WaitAsync(TimeSpan.FromSeconds(30));
        await host.WaitForRevocationsAsync(TimeSpan.FromSeconds(30)); // until then every token is refused (503)
        return host;
    }

    public const string EnvironmentKey = "environment";

    private async Task WaitForRevocationsAsync(TimeSpan timeout)
    {
        var revocations = Services.GetRequiredService<Kavach.StreamApi.Auth.Revocations>();
        using var cancel = new CancellationTokenSource(timeout);
        while (!revocations.IsCurrent)
        {
            await Task.Delay(50, cancel.Token);
        }
    }

    public EventStreamModule Module => Services.GetRequiredService<EventStreamModule>();

    /// <summary>The listening address when started on Kestrel.</summary>
    public Uri KestrelAddress => new(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // WebApplicationFactory runs in Development unless told otherwise.
        builder.UseEnvironment(settings.TryGetValue(EnvironmentKey, out var environment) ? environment! : "Development");
        foreach (var (key, value) in settings.Where(s => s.Key != EnvironmentKey))
        {
            builder.UseSetting(key, value);
        }
    }
}
