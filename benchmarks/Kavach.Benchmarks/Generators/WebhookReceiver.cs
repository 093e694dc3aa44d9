using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Kavach.Benchmarks.Generators;

/// <summary>
/// W7's webhook receiver: Kavach.LoadGen's <c>webhook-sink</c> (every path an endpoint, answered 200, counted, each
/// signature verified against the secret registered for its path). Its CPU is a generator's.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    private WebhookReceiver(Generator process, int port)
    {
        Process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Generator Process { get; }

    public Uri BaseAddress { get; }

    public static async Task<WebhookReceiver> StartAsync(SuiteContext context, string name)
    {
        var process = Generator.Start(context, name, "webhook-sink", ["--port", "0", "--verify"]);
        try
        {
            await process.WaitReadyAsync(TimeSpan.FromSeconds(60));
            return new WebhookReceiver(process, int.Parse(process.ReadyText, CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary>Each path's signing secrets, so that the receiver verifies what arrives there.</summary>
    public async Task RegisterSecretsAsync(IReadOnlyDictionary<string, string[]> secrets)
    {
        using var answer = await _http.PostAsJsonAsync("/_secrets", secrets, Json);
        answer.EnsureSuccessStatusCode();
    }

    /// <summary>The tallies of the endpoints under <paramref name="prefix"/> so far.</summary>
    public async Task<ReceiverStats> StatsAsync(string prefix)
    {
        using var stats = JsonDocument.Parse(await _http.GetStringAsync($"/stats?prefix={Uri.EscapeDataString(prefix)}"));
        var root = stats.RootElement;
        return new ReceiverStats(
            root.GetProperty("deliveries").GetInt64(),
            root.GetProperty("unreadable").GetInt64(),
            Latency.From([root.GetProperty("latency")]),
            root.GetProperty("endpoints").Deserialize<List<EndpointStats>>(Json) ?? []);
    }

    /// <summary>Stops it and returns its summary line (what it received in all, its CPU).</summary>
    public async Task<JsonElement> StopAsync()
    {
        Process.Stop(-1);
        return await Process.ResultAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Process.DisposeAsync();
    }
}

/// <summary>What the receiver counted under one prefix: its endpoints, and the emit→delivery latency of stamped events.</summary>
public sealed record ReceiverStats(long Deliveries, long Unreadable, Latency Latency, IReadOnlyList<EndpointStats> Endpoints)
{
    public long Missing => Endpoints.Sum(e => e.Missing);

    public long Duplicates => Endpoints.Sum(e => e.Duplicates);

    public long OutOfOrder => Endpoints.Sum(e => e.OutOfOrder);

    public long BadSignatures => Endpoints.Sum(e => e.BadSignatures);

    public long Events => Endpoints.Sum(e => e.Events);

    /// <summary>Missing / duplicates / out of order, as the table's column shows it, and bad signatures when there are any.</summary>
    public string Correctness => $"{Missing} / {Duplicates} / {OutOfOrder}" + (BadSignatures > 0 ? $", {BadSignatures} bad signatures" : "");

    /// <summary>Whether every endpoint has received every sequence up to <paramref name="head"/>.</summary>
    public bool AllReached(long head, int endpoints) => Endpoints.Count == endpoints && Endpoints.All(e => e.Last >= head);
}

/// <summary>One endpoint's tally (monotonic nanoseconds for its first and last arrival).</summary>
public sealed record EndpointStats(string Path, long Events, long Last, long Missing, long Duplicates, long OutOfOrder,
    long FirstNanos, long LastNanos, long MaxLatencyMicros, long BadSignatures);
