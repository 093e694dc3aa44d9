using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kavach.Client;
using Kavach.Contracts;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kavach.UnitTests.Client;

/// <summary>What the client reports through OpenTelemetry: connect spans, events, duplicates, reconnects, lag.</summary>
[TestClass]
public sealed class KavachClientTelemetryTests
{
    [TestMethod]
    public async Task AResumeIsCountedWithTheEventsDeliveredAndTheDuplicatesDropped()
    {
        var connections = 0;
        await using var api = await FakeApi.StartAsync(app => app.MapGet("/api/kavach/events/stream", async context =>
        {
            context.Response.ContentType = "text/event-stream";
            var first = Interlocked.Increment(ref connections) == 1;
            await FakeApi.WriteAsync(context, "retry: 10\n\nevent: connected\ndata: {}\n\n" + (first ? FakeApi.Frames(1, 2) : FakeApi.Frames(1, 2, 3)));
            if (!first)
            {
                await FakeApi.HoldOpenAsync(context);
            }
        }));

        var measurements = new ConcurrentDictionary<string, double>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == KavachClientTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => measurements.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        meters.SetMeasurementEventCallback<double>((instrument, _, _, _) => measurements.AddOrUpdate(instrument.Name + ".count", 1, (_, n) => n + 1));
        meters.Start();
        var spans = new ConcurrentQueue<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KavachClientTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(activities);

        var client = new KavachClient(new HttpClient(), new KavachClientOptions { BaseAddress = api.Address, ReconnectInitialDelay = TimeSpan.FromMilliseconds(10) });
        var delivered = 0;
        using var timeout = new CancellationTokenSource(FakeApi.Timeout);
        await foreach (var item in client.Stream().WithCancellation(timeout.Token))
        {
            if (item is KavachEvent && ++delivered == 3)
            {
                break;
            }
        }

        // Other tests' streams may run at the same time and report too: at least this one's share.
        Assert.IsGreaterThanOrEqualTo(3, measurements.GetValueOrDefault("kavach.client.stream.events"));
        Assert.IsGreaterThanOrEqualTo(2, measurements.GetValueOrDefault("kavach.client.stream.duplicates"));
        Assert.IsGreaterThanOrEqualTo(1, measurements.GetValueOrDefault("kavach.client.stream.reconnects"));
        Assert.IsGreaterThanOrEqualTo(3, measurements.GetValueOrDefault("kavach.client.stream.lag.count"));
        Assert.IsGreaterThanOrEqualTo(2, spans.Count(s => s.OperationName == "kavach.stream.connect"));
        Assert.IsFalse(spans.SelectMany(s => s.Tags).Any(t => t.Key.Contains("token", StringComparison.OrdinalIgnoreCase)
            || t.Key.Contains("authorization", StringComparison.OrdinalIgnoreCase)), "no token in a span");
    }
}
