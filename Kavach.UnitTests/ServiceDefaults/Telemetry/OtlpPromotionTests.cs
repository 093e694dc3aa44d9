using System.Text;
using Kavach.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace Kavach.UnitTests.ServiceDefaults.Telemetry;

/// <summary>
/// The promotion reaches the real OTLP exporter: its processor decides at a span's end, so the promoter must run
/// before it. An in-process OTLP/HTTP receiver stands in for the collector.
/// </summary>
[TestClass]
public sealed class OtlpPromotionTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task APromotedSpanReachesTheOtlpExporterAndAnUnsampledOneDoesNot()
    {
        var received = new List<byte[]>();
        await using var collector = await StartCollectorAsync(received);
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();

        var promoted = $"promoted-{Guid.NewGuid():N}";
        var unsampled = $"unsampled-{Guid.NewGuid():N}";
        await using (var service = new TracedService(Environments.Production, new Dictionary<string, string?>
        {
            [TraceSampling.RatioKey] = "0",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }))
        {
            var failed = service.Start(promoted);
            failed?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
            TracedService.End(failed, TimeSpan.FromMilliseconds(5));
            TracedService.End(service.Start(unsampled), TimeSpan.FromMilliseconds(5));
            Assert.IsTrue(service.Provider.ForceFlush(10_000));
        }

        string exported;
        lock (received)
        {
            exported = string.Join("\n", received.Select(body => Encoding.UTF8.GetString(body)));
        }

        Assert.Contains(promoted, exported);
        Assert.DoesNotContain(unsampled, exported);
    }

    private async Task<WebApplication> StartCollectorAsync(List<byte[]> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            lock (received)
            {
                received.Add(body.ToArray());
            }

            return Results.Bytes([], "application/x-protobuf");
        });
        await collector.StartAsync(TestContext.CancellationToken);
        return collector;
    }
}
