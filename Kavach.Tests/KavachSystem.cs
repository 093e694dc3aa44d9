using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Kavach.Tests;

/// <summary>
/// The whole Kavach system, started once for the test assembly from the real AppHost: local PostgreSQL, Redis
/// and Azurite (the checkpoint witness) processes (this machine has no container engine) with throw-away data, both
/// API replicas and the console.
/// </summary>
[TestClass]
public static class KavachSystem
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The HS256 key the test system signs tokens with (the AppHost's secret parameter, fixed for tests).</summary>
    public const string SigningKey = "kavach-tests-signing-key-0123456789-abcdefghijklmnop";

    /// <summary>The console's client secret (the AppHost's secret parameter, fixed for tests).</summary>
    public const string ConsoleClientSecret = "kavach-tests-console-client-secret-0123456789";
    public const string ResponderClientSecret = "kavach-tests-console-responder-secret-0123456789";

    /// <summary>The development users' password (the AppHost's secret parameter <c>dev-users-password</c>, fixed for tests).</summary>
    public const string DevUsersPassword = "kavach-tests-dev-users-password-0123";

    /// <summary>Password attempts the development provider takes from one address per <see cref="DevSignInWindow"/>.</summary>
    public const int DevSignInPerAddress = 5;
    public static readonly TimeSpan DevSignInWindow = TimeSpan.FromSeconds(5);

    /// <summary>How often the console checks each session with the provider (a removed user or changed role ends it).</summary>
    public static readonly TimeSpan SessionRevalidateEvery = TimeSpan.FromSeconds(2);

    /// <summary>Test-sized limits, so the limits themselves can be exercised quickly.</summary>
    public const int MaxConnectionsPerReplica = 10;
    public const int LiveBufferBytes = 4 * 1024 * 1024;
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ChainCheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>The checkpoint signing key both replicas get; the tests verify with its public key only, as an auditor would.</summary>
    public static readonly System.Security.Cryptography.ECDsa CheckpointKey =
        System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);

    private static DistributedApplication? s_app;
    private static string? s_dataDirectory;

    public static DistributedApplication App => s_app ?? throw new InvalidOperationException("The system is not started.");

    [AssemblyInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_dataDirectory = Path.Combine(Path.GetTempPath(), $"kavach-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(s_dataDirectory);
        Dashboard.DevIdentityUsers.Create(Path.Combine(s_dataDirectory, "dev-users.json"));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Kavach_AppHost>(
            [
                "Kavach:Infrastructure=local",
                $"Kavach:Postgres:DataDirectory={s_dataDirectory}",
                $"Kavach:Witness:DataDirectory={Path.Combine(s_dataDirectory, "witness")}",
                $"Parameters:kavach-signing-key={SigningKey}",
                $"Parameters:console-client-secret={ConsoleClientSecret}",
                $"Parameters:console-responder-client-secret={ResponderClientSecret}",
                $"Parameters:dev-users-password={DevUsersPassword}",
                $"Kavach:DevIdentity:UsersFile={Dashboard.DevIdentityUsers.FilePath}",
            ],
            context.CancellationToken);

        // The console checks the whole chain every two seconds, so its alert test need not wait.
        builder.CreateResourceBuilder<ProjectResource>("console")
            .WithEnvironment("StreamApi__ChainCheckInterval", ChainCheckInterval.ToString())
            .WithEnvironment("StreamApi__FullChainCheckEvery", "1")
            .WithEnvironment("Console__Auth__RevalidateEvery", SessionRevalidateEvery.ToString())
            // Every browser context signs in from 127.0.0.1: a per-address limit on starting sign-ins would be one limit
            // on the whole suite. The provider's password limit stays on (test-sized), and a test proves it.
            .WithEnvironment("Kavach__Limits__SignIn__PerAddress", "0")
            // Request-level logs on, so the test that looks for the sign-in's code and session in logs has something to read.
            .WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore", "Debug");
        builder.CreateResourceBuilder<ProjectResource>("identity")
            .WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore", "Debug")
            .WithEnvironment("Logging__LogLevel__OpenIddict", "Information")
            .WithEnvironment("DevIdentity__SignInPerAddress", DevSignInPerAddress.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("DevIdentity__SignInWindow", DevSignInWindow.ToString());

        // An in-process host's retention test (ModuleTests) prunes what is ten minutes old: the owner's minimum must let it.
        builder.CreateResourceBuilder<ProjectResource>("migrate").WithEnvironment("Kavach__Stream__Retention", "00:10:00");

        builder.CreateResourceBuilder<ProjectResource>("streamapi")
            .WithEnvironment("Kavach__Stream__MaxConnections", MaxConnectionsPerReplica.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Kavach__Stream__LiveBufferBytes", LiveBufferBytes.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Kavach__Stream__WriteTimeout", WriteTimeout.ToString())
            .WithEnvironment("Kavach__Stream__HeartbeatInterval", HeartbeatInterval.ToString())
            .WithEnvironment("Kavach__Integrity__CheckpointInterval", CheckpointInterval.ToString())
            .WithEnvironment("Kavach__Integrity__CheckpointKey", CheckpointKey.ExportPkcs8PrivateKeyPem())
            // Every test client is on 127.0.0.1, so a per-address limit would be one limit on the whole suite; and the
            // console verifies the whole chain every two seconds. Per-subject limits stay as in production.
            .WithEnvironment("Kavach__Limits__Emit__PerAddress", "0")
            .WithEnvironment("Kavach__Limits__Tokens__PerAddress", "0")
            .WithEnvironment("Kavach__Limits__Pages__PerAddress", "0")
            .WithEnvironment("Kavach__Limits__Replay__PerAddress", "0")
            .WithEnvironment("Kavach__Limits__Verify__PerAddress", "0")
            .WithEnvironment("Kavach__Limits__Verify__PerSubject", "0")
            .WithEnvironment("Kavach__Limits__Verify__EventsPerSubject", "0")
            // Webhook receivers in the tests listen on 127.0.0.1: that address alone is allowed although it is loopback.
            .WithEnvironment("Kavach__Delivery__AllowedPrivateTargets__0", "127.0.0.1/32")
            // Push delivery runs on the in-process hosts that the delivery tests start with settings of their own
            // (Kavach.Tests/Delivery); the system's replicas would otherwise take those destinations' leases.
            .WithEnvironment("Kavach__Delivery__Enabled", "false")
            // Request-level logs on, so the test that looks for leaked tokens in logs has something to read.
            .WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore", "Debug");

        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Warning));

        s_app = await builder.BuildAsync(context.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(StartTimeout);
        await s_app.StartAsync(timeout.Token);

        await WaitForHealthyAsync(s_app, ["postgres", "redis", "witness", "streamapi", "identity", "console"], timeout.Token);
        StreamApiReplicas = await FindReplicaAddressesAsync(s_app, "streamapi", timeout.Token);
    }

    /// <summary>Each API replica's own address (the "streamapi" endpoint spreads requests over them).</summary>
    public static IReadOnlyList<Uri> StreamApiReplicas { get; private set; } = [];

    public static Uri StreamApi => App.GetEndpoint("streamapi", "http");

    /// <summary>PostgreSQL's superuser's: a database writer's, and the in-process hosts' (which may migrate and do anything).</summary>
    public static ValueTask<string?> DatabaseConnectionStringAsync() => App.GetConnectionStringAsync("postgres");

    public static ValueTask<string?> RedisConnectionStringAsync() => App.GetConnectionStringAsync("redis");

    /// <summary>Azurite's, the checkpoint witness the AppHost runs.</summary>
    public static ValueTask<string?> WitnessConnectionStringAsync() => App.GetConnectionStringAsync("witness");

    private static async Task<IReadOnlyList<Uri>> FindReplicaAddressesAsync(DistributedApplication app, string name, CancellationToken cancellationToken)
    {
        var expected = ExpectedInstanceCounts(app, [name])[name];
        var addresses = new Dictionary<string, Uri>();
        await foreach (var update in app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(cancellationToken))
        {
            if (update.Resource.Name == name
                && update.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value is { } urls)
            {
                addresses[update.ResourceId] = new Uri(urls.Split(';')[0]);
                if (addresses.Count == expected)
                {
                    break;
                }
            }
        }

        return [.. addresses.OrderBy(a => a.Key).Select(a => a.Value)];
    }

    /// <summary>Waits for every instance (each replica) of the named resources to report healthy.</summary>
    private static async Task WaitForHealthyAsync(DistributedApplication app, string[] names, CancellationToken cancellationToken)
    {
        var expected = ExpectedInstanceCounts(app, names);
        var healthy = new Dictionary<string, HashSet<string>>();
        try
        {
            await foreach (var update in app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(cancellationToken))
            {
                if (!expected.ContainsKey(update.Resource.Name))
                {
                    continue;
                }

                var instances = healthy.TryGetValue(update.Resource.Name, out var set) ? set : healthy[update.Resource.Name] = [];
                if (update.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    instances.Add(update.ResourceId);
                }
                else
                {
                    instances.Remove(update.ResourceId);
                }

                if (expected.All(e => healthy.TryGetValue(e.Key, out var h) && h.Count >= e.Value))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            var missing = expected.Where(e => !healthy.TryGetValue(e.Key, out var h) || h.Count < e.Value).Select(e => e.Key);
            throw new TimeoutException($"Not healthy within {StartTimeout}: {string.Join(", ", missing)}.");
        }
    }

    public static Dictionary<string, int> ExpectedInstanceCounts(DistributedApplication app, string[] names) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => names.Contains(r.Name))
            .ToDictionary(r => r.Name, r => r.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) ? replicas.Replicas : 1);

    [AssemblyCleanup]
    public static async Task StopAsync()
    {
        if (s_app is not null)
        {
            await s_app.StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
            await s_app.DisposeAsync();
        }

        if (s_dataDirectory is not null && Directory.Exists(s_dataDirectory))
        {
            Directory.Delete(s_dataDirectory, recursive: true);
        }
    }
}
