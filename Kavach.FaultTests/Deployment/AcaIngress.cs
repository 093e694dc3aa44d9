using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Kavach.FaultTests.Deployment;

/// <summary>One app behind the ingress: its replicas' addresses and whether clients stick to one replica.</summary>
/// <param name="Port">Its public port on 127.0.0.1 (chosen by the caller when an app must know another's address first).</param>
public sealed record IngressApp(string Name, IReadOnlyList<Uri> Replicas, bool StickySessions = false, int Port = 0);

/// <summary>
/// A local stand-in for the Azure Container Apps ingress, in this test process (YARP on Kestrel, 127.0.0.1 only):
/// HTTPS on its own port per app with TLS ended here, the public Host header kept and <c>X-Forwarded-For/Proto</c>
/// added (YARP adds X-Forwarded-Host and -Prefix too), round-robin over
/// the replicas, cookie affinity where the app asks for sticky sessions, readiness probes on <c>/health</c> taking a
/// replica out of rotation (as ACA does with one that is shutting down), and an idle timeout: a request whose upstream
/// sends nothing for that long is closed (240 s on ACA).
/// </summary>
public sealed class AcaIngress : IAsyncDisposable
{
    public static readonly TimeSpan AcaIdleTimeout = TimeSpan.FromSeconds(240);
    public const string AffinityCookie = "kavach-rehearsal-affinity";

    private readonly WebApplication _host;
    private readonly Dictionary<string, Uri> _addresses;

    private AcaIngress(WebApplication host, Dictionary<string, Uri> addresses, TimeSpan idleTimeout)
    {
        _host = host;
        _addresses = addresses;
        IdleTimeout = idleTimeout;
    }

    public TimeSpan IdleTimeout { get; }

    /// <summary>The app's public https:// address (its port on 127.0.0.1).</summary>
    public Uri AddressOf(string app) => _addresses[app];

    public static async Task<AcaIngress> StartAsync(X509Certificate2 certificate, IReadOnlyList<IngressApp> apps, TimeSpan? idleTimeout = null)
    {
        var idle = idleTimeout ?? AcaIdleTimeout;
        var ports = apps.ToDictionary(app => app.Name, app => app.Port != 0 ? app.Port : Kavach.Processes.FreePort.Next());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var port in ports.Values)
            {
                kestrel.Listen(IPAddress.Loopback, port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(certificate);
                });
            }
        });

        var routes = apps.Select(app => new RouteConfig
        {
            RouteId = app.Name,
            ClusterId = app.Name,
            Match = new RouteMatch { Path = "{**path}", Hosts = [$"127.0.0.1:{ports[app.Name]}", $"localhost:{ports[app.Name]}"] },
            // The app sees its public host name, as behind ACA's ingress (YARP would otherwise send the replica's own).
            Transforms = [new Dictionary<string, string> { ["RequestHeaderOriginalHost"] = "true" }],
        }).ToList();
        var clusters = apps.Select(app => new ClusterConfig
        {
            ClusterId = app.Name,
            LoadBalancingPolicy = "RoundRobin",
            SessionAffinity = app.StickySessions
                ? new SessionAffinityConfig { Enabled = true, Policy = "Cookie", AffinityKeyName = AffinityCookie, FailurePolicy = "Redistribute" }
                : null,
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(1),
                    Timeout = TimeSpan.FromSeconds(2),
                    Policy = "ConsecutiveFailures",
                    Path = "/health",
                },
            },
            // The idle timeout: YARP cancels a proxied request when no read or write completes for this long.
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = idle },
            Destinations = app.Replicas.Select((replica, i) => (replica, i))
                .ToDictionary(d => $"{app.Name}-{d.i}", d => new DestinationConfig { Address = d.replica.ToString() }),
        }).ToList();

        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
        var host = builder.Build();
        host.MapReverseProxy();
        await host.StartAsync();

        var addresses = ports.ToDictionary(p => p.Key, p => new Uri($"https://127.0.0.1:{p.Value}"));
        return new AcaIngress(host, addresses, idle);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _host.StopAsync(timeout.Token);
        await _host.DisposeAsync();
    }
}
