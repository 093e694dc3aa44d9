using System.Diagnostics;
using Kavach.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.UnitTests.ServiceDefaults;

/// <summary>
/// Telemetry goes to Azure Monitor exactly when Application Insights' connection string is set (as infra/ sets it):
/// not when it is missing or empty (the rehearsal's case), and a deployment's export never holds up the service.
/// </summary>
[TestClass]
public sealed class AzureMonitorExportTests
{
    // A syntactically valid connection string whose ingestion endpoint is a closed local port.
    private const string UnreachableConnectionString =
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void WithAConnectionStringTheServiceExportsToAzureMonitor()
    {
        Assert.IsTrue(ExportsToAzureMonitor(UnreachableConnectionString));
    }

    [TestMethod]
    [DataRow(null)]
    [DataRow("")]
    [DataRow("  ")]
    public void WithoutOneItDoesNot(string? connectionString)
    {
        Assert.IsFalse(ExportsToAzureMonitor(connectionString));
    }

    [TestMethod]
    public async Task BesideOtlpAnUnreachableIngestionEndpointDoesNotHoldUpStartOrStop()
    {
        await using var app = Build(UnreachableConnectionString, otlpEndpoint: "http://127.0.0.1:9");
        var watch = Stopwatch.StartNew();
        await app.StartAsync(TestContext.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.CancellationToken);
        await app.StopAsync(TestContext.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.CancellationToken);
        Assert.IsLessThan(TimeSpan.FromSeconds(15), watch.Elapsed, $"start and stop took {watch.Elapsed}");
    }

    private static bool ExportsToAzureMonitor(string? connectionString)
    {
        var builder = Builder(connectionString);
        return builder.Services.Any(service => FromAzureMonitor(service.ImplementationType ?? service.ServiceType));
    }

    private static bool FromAzureMonitor(Type type) =>
        type.Assembly.GetName().Name!.StartsWith("Azure.Monitor.OpenTelemetry", StringComparison.Ordinal);

    private static WebApplication Build(string? connectionString, string otlpEndpoint)
    {
        var builder = Builder(connectionString, otlpEndpoint);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        return builder.Build();
    }

    private static WebApplicationBuilder Builder(string? connectionString, string? otlpEndpoint = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration[Extensions.AzureMonitorConnectionStringKey] = connectionString;
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint;
        builder.AddServiceDefaults("Kavach.StreamApi");
        return builder;
    }
}
