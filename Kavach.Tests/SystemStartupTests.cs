using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kavach.Tests;

[TestClass]
public sealed class SystemStartupTests
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    [TestMethod]
    public async Task EveryResourceInstanceIsHealthy()
    {
        var notifications = KavachSystem.App.Services.GetRequiredService<ResourceNotificationService>();
        string[] names = ["postgres", "redis", "streamapi", "console"];
        var expected = KavachSystem.ExpectedInstanceCounts(KavachSystem.App, names);
        Assert.HasCount(4, expected);

        foreach (var name in names)
        {
            var healthyInstances = new HashSet<string>();
            using var timeout = new CancellationTokenSource(RequestTimeout);
            await foreach (var update in notifications.WatchAsync(timeout.Token))
            {
                if (update.Resource.Name == name && update.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    healthyInstances.Add(update.ResourceId);
                }

                if (healthyInstances.Count == expected[name])
                {
                    break;
                }
            }

            Assert.HasCount(expected[name], healthyInstances, $"healthy instances of '{name}'");
        }
    }

    [TestMethod]
    public void StreamApiRunsTwoReplicas()
    {
        var model = KavachSystem.App.Services.GetRequiredService<DistributedApplicationModel>();
        var streamApi = model.Resources.Single(r => r.Name == "streamapi");
        Assert.IsTrue(streamApi.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas));
        Assert.AreEqual(2, replicas.Replicas);
    }

    [TestMethod]
    public async Task StreamApiIsReadyWithPostgresRedisAndItsSchema()
    {
        using var http = KavachSystem.App.CreateHttpClient("streamapi");
        using var response = await http.GetAsync("/health").WaitAsync(RequestTimeout);
        var body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);

        using var report = JsonDocument.Parse(body);
        var checks = report.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetString());
        Assert.AreEqual("Healthy", checks["schema"]);
        Assert.IsTrue(checks.Any(c => c.Key.Contains("postgres", StringComparison.OrdinalIgnoreCase) && c.Value == "Healthy"), body);
        Assert.IsTrue(checks.Any(c => c.Key.Contains("redis", StringComparison.OrdinalIgnoreCase) && c.Value == "Healthy"), body);
    }

    /// <summary>The AppHost's migrate step made the service's own role, and every replica connection is that role's.</summary>
    [TestMethod]
    public async Task TheReplicasConnectAsTheServicesOwnRole()
    {
        await using var connection = new Npgsql.NpgsqlConnection(await KavachSystem.DatabaseConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE application_name LIKE 'kavach-stream%'
            """, connection);
        Assert.AreEqual("kavach_app", await command.ExecuteScalarAsync());
    }

    [TestMethod]
    public async Task ConsoleShowsTheStreamApiAsHealthy()
    {
        using var http = await Dashboard.ConsoleSignIn.SignedInClientAsync(Dashboard.DevUsers.Viewer).WaitAsync(RequestTimeout);
        var page = await http.GetStringAsync("/").WaitAsync(RequestTimeout);
        StringAssert.Contains(page, "Kavach console");
        StringAssert.Contains(page, "data-testid=\"api-health\">Healthy<");
    }
}
