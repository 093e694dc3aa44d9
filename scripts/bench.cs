// Kavach stream benchmark: emit-to-receive latency and replay-of-1000 time against a running system.
// Usage: dotnet run scripts/bench.cs -- [api-base-url]   (default http://localhost:5080; needs the
// Development token endpoint, i.e. the system started with `dotnet run --project Kavach.AppHost`).
#:property PublishAot=false
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

var api = new Uri(args.Length > 0 ? args[0] : "http://localhost:5080");
using var http = new HttpClient { BaseAddress = api, Timeout = Timeout.InfiniteTimeSpan };

var tokenResponse = await http.PostAsync("/api/kavach/dev/tokens?subject=bench&scope=events:emit", null);
tokenResponse.EnsureSuccessStatusCode();
var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
var run = Guid.NewGuid().ToString("N")[..8];

Console.WriteLine($"Kavach stream benchmark against {api} ({Environment.ProcessorCount} cores)");

// 1. Emit-to-receive: one event at a time, from just before the POST to its arrival on an open stream.
{
    const int samples = 200;
    var received = Channel.CreateUnbounded<(string Id, long At)>();
    using var cts = new CancellationTokenSource();
    var reader = ReadStreamAsync(http, "?types=audit", lastEventId: null, received.Writer, cts.Token);
    await Task.Delay(500);

    var latencies = new List<double>();
    for (var i = 0; i < samples + 20; i++)
    {
        var id = $"bench-{run}-lat-{i}";
        var sent = Stopwatch.GetTimestamp();
        await EmitAsync(http, [new { type = "audit", id, agentId = $"bench-{run}", data = new { i } }]);
        while (true)
        {
            var (gotId, at) = await received.Reader.ReadAsync();
            if (gotId == id)
            {
                if (i >= 20)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds); // first 20 warm up
                }

                break;
            }
        }
    }

    await cts.CancelAsync();
    latencies.Sort();
    Console.WriteLine($"emit-to-receive over {samples} events: p50 {P(latencies, 50):F2} ms, p95 {P(latencies, 95):F2} ms, p99 {P(latencies, 99):F2} ms, max {latencies[^1]:F2} ms");
}

// 2. Replay of 1000: a client resuming 1000 events behind, from request to the 1000th event.
{
    var emitted = await EmitAsync(http, [.. Enumerable.Range(0, 1000).Select(i => new { type = "cost.recorded", agentId = $"bench-{run}", data = new { i, usd = 0.01 } })]);
    var cursor = emitted[0] - 1;
    var times = new List<double>();
    for (var round = 0; round < 7; round++)
    {
        var received = Channel.CreateUnbounded<(string Id, long At)>();
        using var cts = new CancellationTokenSource();
        var started = Stopwatch.GetTimestamp();
        var reader = ReadStreamAsync(http, "?types=cost.recorded", cursor.ToString(), received.Writer, cts.Token);
        var count = 0;
        long last = 0;
        while (count < 1000)
        {
            (_, last) = await received.Reader.ReadAsync();
            count++;
        }

        times.Add(Stopwatch.GetElapsedTime(started, last).TotalMilliseconds);
        await cts.CancelAsync();
    }

    times.Sort();
    Console.WriteLine($"replay of 1000 events (7 runs): median {P(times, 50):F1} ms, best {times[0]:F1} ms, worst {times[^1]:F1} ms");
}

static double P(List<double> sorted, int percentile) =>
    sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];

static async Task<long[]> EmitAsync(HttpClient http, object[] events)
{
    using var response = await http.PostAsJsonAsync("/api/kavach/events", events);
    response.EnsureSuccessStatusCode();
    var body = await response.Content.ReadFromJsonAsync<JsonElement>();
    return [.. body.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64())];
}

static async Task ReadStreamAsync(HttpClient http, string query, string? lastEventId, ChannelWriter<(string, long)> received, CancellationToken cancellationToken)
{
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/kavach/events/stream" + query);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        var parser = SseParser.Create(await response.Content.ReadAsStreamAsync(cancellationToken), (_, data) => Encoding.UTF8.GetString(data));
        await foreach (var item in parser.EnumerateAsync(cancellationToken))
        {
            if (item.EventType is "audit" or "cost.recorded")
            {
                var id = JsonDocument.Parse(item.Data).RootElement.GetProperty("id").GetString()!;
                await received.WriteAsync((id, Stopwatch.GetTimestamp()), cancellationToken);
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
}
