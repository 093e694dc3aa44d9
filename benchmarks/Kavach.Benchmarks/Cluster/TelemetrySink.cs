using System.Globalization;
using System.Text.Json;
using Kavach.Benchmarks.Generators;
using Kavach.Processes;

namespace Kavach.Benchmarks.Cluster;

/// <summary>
/// The OTLP endpoint the replicas export to, as they would to the Aspire dashboard or a collector: Kavach.LoadGen's
/// <c>otlp-sink</c> (OTLP/HTTP protobuf, answered 200 and counted), started before the replicas and stopped after
/// them. Its CPU is a generator's. <see cref="ReadAsync"/> reads what it has received so far.
/// </summary>
public sealed class TelemetrySink : IAsyncDisposable
{
    public const string Name = "otlp-sink";

    private readonly Generator _process;

    private TelemetrySink(Generator process, int port)
    {
        _process = process;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Endpoint { get; }

    public int Pid => _process.Pid;

    /// <summary>
    /// What a replica's environment gets with the exporter on: the endpoint and protocol (Kavach.ServiceDefaults
    /// exports whenever the endpoint is set), and the batch and export intervals the Aspire AppHost gives a service
    /// for its dashboard, so that metrics and logs flow within a short measured stretch as well as traces.
    /// </summary>
    public IReadOnlyDictionary<string, string> ExporterEnvironment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
    };

    public static async Task<TelemetrySink> StartAsync(string workDirectory, string logDirectory, ProcessPlacement? placement)
    {
        var process = Generator.Start(workDirectory, logDirectory, placement, Name, "otlp-sink", ["--port", "0"]);
        try
        {
            await process.WaitReadyAsync(TimeSpan.FromSeconds(60));
            return new TelemetrySink(process, int.Parse(process.ReadyText, CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything received since it started.</summary>
    public async Task<TelemetryReceived> ReadAsync()
    {
        using var http = new HttpClient { BaseAddress = Endpoint, Timeout = TimeSpan.FromSeconds(5) };
        using var stats = JsonDocument.Parse(await http.GetStringAsync("/stats"));
        return TelemetryReceived.From(stats.RootElement);
    }

    /// <summary>Stops it and returns its summary line (what it received in all, its CPU).</summary>
    public async Task<JsonElement> StopAsync()
    {
        _process.Stop(-1);
        return await _process.ResultAsync(TimeSpan.FromSeconds(30));
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
