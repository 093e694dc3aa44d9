using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Kavach.LoadGen.Measuring;
using Kavach.LoadGen.Protocol;
using Kavach.LoadGen.Telemetry;
using Kavach.LoadGen.Webhooks;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace Kavach.FaultTests.Unit;

/// <summary>
/// The benchmark generators' own checks: what they count as missing, duplicate or out of order, how they read SSE, their
/// histogram, and the OTLP sink the replicas export to.
/// </summary>
[TestClass]
public sealed class LoadGenTests
{
    [TestMethod]
    public void EverySequenceOnceInOrderIsClean()
    {
        var check = See(after: 10, 11, 12, 13, 14);

        Assert.AreEqual((4L, 0L, 0L, 0L), (check.Events, check.Missing, check.Duplicates, check.OutOfOrder));
        Assert.AreEqual(0, check.MissingAt(14));
    }

    [TestMethod]
    public void AGapIsMissingUntilItsEventsArriveLateThenOutOfOrder()
    {
        var check = See(after: 0, 1, 4, 5);
        Assert.AreEqual(2, check.Missing);

        check.See(1, 3);
        Assert.AreEqual((1L, 1L, 0L), (check.Missing, check.OutOfOrder, check.Duplicates));
    }

    [TestMethod]
    public void ASequenceSeenTwiceIsADuplicate()
    {
        var check = See(after: 0, 1, 2, 2, 1, 3);

        Assert.AreEqual((0L, 2L, 0L), (check.Missing, check.Duplicates, check.OutOfOrder));
    }

    [TestMethod]
    public void AStreamThatStopsShortOfTheLastSequenceMissesTheRest()
    {
        Assert.AreEqual(3, See(after: 0, 1, 2).MissingAt(5));
    }

    [TestMethod]
    public void ANewEpochIsCountedAndRestartsTheCount()
    {
        var check = new OrderCheck(5);
        check.See(1, 6);
        check.See(2, 3);
        check.See(2, 4);

        Assert.AreEqual((1L, 0L, 4L), (check.EpochChanges, check.Missing, check.Last));
    }

    [TestMethod]
    public void TheReaderFindsIdsStampsAndNamedEventsWhateverTheChunking()
    {
        const string response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" +
            "retry: 3000\n\nevent: connected\ndata: {\"clientId\":\"x\"}\n\n" +
            "event: audit\ndata: {\"id\":\"a\",\"type\":\"audit\",\"data\":{\"t\": 1500,\"pad\":\"x\"},\"sequence\":7}\nid: 7\n\n" +
            ": heartbeat\n\n" +
            "event: audit\r\ndata: {\"id\":\"b\",\"data\":{},\"sequence\":8}\r\nid: 2:8\r\n\r\n" +
            "event: error\ndata: {\"code\":\"SLOW_CONSUMER\",\"message\":\"m\"}\n\n";
        var bytes = Encoding.UTF8.GetBytes(response);
        foreach (var chunk in new[] { 1, 3, 7, bytes.Length })
        {
            var reader = new RecordingReader();
            for (var at = 0; at < bytes.Length; at += chunk)
            {
                reader.Feed(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)), receivedNanos: 2000);
            }

            Assert.AreEqual(200, reader.Status, $"chunks of {chunk}");
            CollectionAssert.AreEqual(new[] { "connected", "1:7@1500", "2:8@0", "error:SLOW_CONSUMER" }, reader.Seen, $"chunks of {chunk}");
        }
    }

    [TestMethod]
    public void TheHistogramIsExactBelow128MicrosecondsAndWithinTwoPercentAbove()
    {
        var histogram = new LatencyHistogram();
        foreach (var value in new long[] { 5, 100, 127, 1_000, 10_000, 1_000_000 })
        {
            histogram.Record(value);
        }

        var summary = histogram.Summarize();
        var bounds = summary.Buckets.Select(b => b[0]).ToArray();
        Assert.AreEqual(6, summary.Count);
        CollectionAssert.AreEqual(new long[] { 5, 100, 127 }, bounds[..3]);
        foreach (var (value, bound) in new long[] { 1_000, 10_000, 1_000_000 }.Zip(bounds[3..]))
        {
            Assert.IsTrue(bound >= value && bound <= value * 1.02, $"{value} fell in a bucket bounded by {bound}");
        }

        Assert.AreEqual(127, summary.P50);
        Assert.AreEqual(bounds[^1], summary.P99);
    }

    [TestMethod]
    [Timeout(30_000, CooperativeCancellation = true)]
    public async Task TheOtlpSinkAnswersAnExportWith200AndAnEmptyProtobufBodyAndCountsIt()
    {
        // ExportTraceServiceRequest { resource_spans { resource {} scope_spans { scope { name } spans × 2 } } }
        var span = Message(Field(1, new byte[16]), Field(2, new byte[8]), Field(5, "emit"u8.ToArray()));
        var request = Message(Field(1, Message(
            Field(1, []),
            Field(2, Message(Field(1, Message(Field(1, "Kavach.StreamApi"u8.ToArray()))), Field(2, span), Field(2, span))))));
        await using var sink = await OtlpSink.StartAsync(0);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{sink.Port}") };

        using var body = new ByteArrayContent(request);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var answer = await http.PostAsync("/v1/traces", body);
        using var garbage = await http.PostAsync("/v1/logs", new ByteArrayContent([0xff]));

        Assert.AreEqual(HttpStatusCode.OK, answer.StatusCode);
        Assert.AreEqual("application/x-protobuf", answer.Content.Headers.ContentType?.MediaType);
        Assert.AreEqual(0, (await answer.Content.ReadAsByteArrayAsync()).Length);
        Assert.AreEqual((1L, (long)request.Length, 2L), (sink.Counts.Traces.Requests, sink.Counts.Traces.Bytes, sink.Counts.Traces.Items));
        Assert.AreEqual(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.AreEqual((0L, 1L), (sink.Counts.Logs.Requests, sink.Counts.Malformed));
    }

    [TestMethod]
    [Timeout(30_000, CooperativeCancellation = true)]
    public async Task TheOtlpSinkCountsTheSpansOpenTelemetrysOwnExporterSends()
    {
        await using var sink = await OtlpSink.StartAsync(0);
        using var source = new ActivitySource("Kavach.LoadGen.Tests.Sink");
        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(source.Name)
            .AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = new Uri($"http://127.0.0.1:{sink.Port}/v1/traces");
                otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            })
            .Build())
        {
            for (var i = 0; i < 3; i++)
            {
                using var activity = source.StartActivity("emit");
                activity?.SetTag("kavach.event.type", "audit");
            }

            Assert.IsTrue(tracing.ForceFlush(10_000), "the exporter did not flush");
        }

        Assert.AreEqual(3, sink.Counts.Traces.Items);
        Assert.IsTrue(sink.Counts.Traces.Requests >= 1 && sink.Counts.Traces.Bytes > 0);
        Assert.AreEqual(0, sink.Counts.Malformed);
    }

    private static byte[] Message(params byte[][] fields) => [.. fields.SelectMany(f => f)];

    /// <summary>A length-delimited protobuf field: key (number, wire type 2), varint length, bytes.</summary>
    private static byte[] Field(int number, byte[] payload)
    {
        var field = new List<byte> { (byte)(number << 3 | 2) };
        for (var length = (uint)payload.Length; ; length >>= 7)
        {
            field.Add((byte)(length < 0x80 ? length : length & 0x7f | 0x80));
            if (length < 0x80)
            {
                break;
            }
        }

        field.AddRange(payload);
        return [.. field];
    }

    /// <summary>The Standard Webhooks specification's own example: secret, message id, timestamp, payload and signature.</summary>
    [TestMethod]
    public void TheWebhookSinkVerifiesTheSpecificationsExampleSignature()
    {
        var key = WebhookSignature.KeyOf("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var payload = "{\"test\": 2432232314}"u8;
        const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        Assert.IsTrue(WebhookSignature.Verify([key], Id, "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", payload));
        Assert.IsTrue(WebhookSignature.Verify([key], Id, "1614265330", "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", payload),
            "one of several signatures (a rotation) is enough");
        Assert.IsFalse(WebhookSignature.Verify([key], Id, "1614265331", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", payload));
        Assert.IsFalse(WebhookSignature.Verify([key], Id, "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "{\"test\": 2432232315}"u8));
    }

    [TestMethod]
    [Timeout(30_000, CooperativeCancellation = true)]
    public async Task TheWebhookSinkCountsEachEndpointsSequencesAndRefusesWhatItCannotVerify()
    {
        await using var sink = await WebhookSink.StartAsync(0, verify: true);
        await sink.WarmUpAsync(50); // signs and verifies its own deliveries, then forgets them
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{sink.Port}") };
        const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        using (var secrets = await http.PostAsync("/_secrets", new StringContent("{\"/many/1\":[\"" + Secret + "\"]}", Encoding.UTF8, "application/json")))
        {
            Assert.AreEqual(HttpStatusCode.NoContent, secrets.StatusCode);
        }

        async Task<HttpStatusCode> DeliverAsync(string path, long sequence, long stamp, string? secret)
        {
            var body = $"{{\"id\":\"e{sequence}\",\"type\":\"audit\",\"data\":{{\"t\":{stamp}}},\"sequence\":{sequence},\"hash\":\"ab\"}}";
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", $"e{sequence}");
            request.Headers.Add("webhook-timestamp", "1700000000");
            if (secret is not null)
            {
                var signature = System.Security.Cryptography.HMACSHA256.HashData(WebhookSignature.KeyOf(secret), Encoding.UTF8.GetBytes($"e{sequence}.1700000000.{body}"));
                request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(signature));
            }

            using var answer = await http.SendAsync(request);
            return answer.StatusCode;
        }

        var stamp = Monotonic.Now - 2_000_000; // emitted 2 ms ago
        foreach (var sequence in new long[] { 5, 6, 6, 8, 7 })
        {
            Assert.AreEqual(HttpStatusCode.OK, await DeliverAsync("/many/1", sequence, stamp, Secret));
        }

        Assert.AreEqual(HttpStatusCode.OK, await DeliverAsync("/many/2", 5, 0, secret: null));

        var stats = System.Text.Json.JsonSerializer.SerializeToElement(sink.Stats("/many/"), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        var endpoints = stats.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!);
        var one = endpoints["/many/1"];
        Assert.AreEqual((5L, 8L, 0L, 1L, 1L, 0L), (one.GetProperty("events").GetInt64(), one.GetProperty("last").GetInt64(),
            one.GetProperty("missing").GetInt64(), one.GetProperty("duplicates").GetInt64(), one.GetProperty("outOfOrder").GetInt64(),
            one.GetProperty("badSignatures").GetInt64()));
        Assert.IsTrue(one.GetProperty("maxLatencyMicros").GetInt64() >= 2000, "latency from the emitter's stamp");
        Assert.AreEqual(1L, endpoints["/many/2"].GetProperty("badSignatures").GetInt64(), "no secret registered, no signature: not verified");
        Assert.AreEqual(5L, stats.GetProperty("latency").GetProperty("count").GetInt64(), "only stamped events have a latency");
    }

    private static OrderCheck See(long after, params long[] sequences)
    {
        var check = new OrderCheck(after);
        foreach (var sequence in sequences)
        {
            check.See(1, sequence);
        }

        return check;
    }

    private sealed class RecordingReader : SseParser
    {
        public List<string> Seen { get; } = [];

        protected override void OnEvent(long epoch, long sequence, long stamp, long receivedNanos) => Seen.Add($"{epoch}:{sequence}@{stamp}");

        protected override void OnNamed(EventKind kind, string? code) =>
            Seen.Add(kind == EventKind.Error ? $"error:{code}" : kind.ToString().ToLowerInvariant());
    }
}
