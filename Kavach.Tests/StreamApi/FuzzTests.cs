using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kavach.Tests.Support;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// Malformed requests of every kind, over every endpoint, to both replicas: byte-level faults over raw sockets
/// (127.0.0.1 only), the rest through HttpClient. No answer may be a 5xx; a 4xx with a body must be problem details
/// (the stream's 401 is an SSE error body by design); a closed connection is fine for unparseable HTTP. Afterwards the
/// fuzzer's time window must page, replay and stream from start to end (no poison event), holding exactly the events
/// that were acknowledged with 201 (nothing partial).
/// Replay a run with <c>KAVACH_FUZZ_SEED=&lt;seed&gt;</c>; <c>KAVACH_FUZZ_REQUESTS</c> sets how many (default 10,000).
/// </summary>
[TestClass]
public sealed class FuzzTests
{
    private const int DefaultSeed = 20261202;
    private const int DefaultRequests = 10_000;
    private const int Parallelism = 8;
    private static readonly TimeSpan RawReadTimeout = TimeSpan.FromSeconds(10);
    private const string EmitPath = "/api/kavach/events";

    public TestContext TestContext { get; set; } = null!;

    private static readonly string[] Families =
    [
        "emit-json", "emit-bytes", "emit-headers", "page-query", "replay-query", "stream", "other-endpoints",
        "raw-request-line", "raw-headers", "raw-chunked", "raw-short-body", "raw-utf8-body",
    ];

    private static readonly int[] Weights = [24, 14, 5, 10, 5, 5, 10, 5, 7, 7, 4, 4];

    private sealed record Outcome(int Index, string Family, string Status, string Description, string? Failure)
    {
        /// <summary>How many events the request would have stored, had it been accepted (for requests whose answer was lost).</summary>
        public int EventsIfStored { get; init; }
    }

    /// <summary>Events in an emit body, if it is one the server could accept at all: an object is 1, an array its length.</summary>
    private static int EventsIn(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.Object => 1,
                JsonValueKind.Array => document.RootElement.GetArrayLength(),
                _ => 0,
            };
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task MalformedRequestsNeverGet5xxAndLeaveNoPoison()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("KAVACH_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        var count = int.TryParse(Environment.GetEnvironmentVariable("KAVACH_FUZZ_REQUESTS"), CultureInfo.InvariantCulture, out var n) ? n : DefaultRequests;
        TestContext.WriteLine($"Fuzz seed {seed}, {count} requests (replay with KAVACH_FUZZ_SEED={seed}).");

        var replicas = KavachSystem.StreamApiReplicas;
        var emitToken = Tokens.Emitter("fuzzer");
        var readToken = Tokens.Reader("fuzzer");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Parallelism * 2, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

        using var marker = new EventsClient(replicas[0], emitToken);
        var windowStart = DateTimeOffset.UtcNow;
        var before = (await marker.EmitAsync(EventsClient.Event("audit", "fuzz-marker")))[0];

        var outcomes = new ConcurrentBag<Outcome>();
        var acknowledged = new ConcurrentDictionary<string, long>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = TestContext.CancellationToken },
            async (index, cancellationToken) =>
            {
                var random = new Random(unchecked((seed * 1_000_003) + index)); // not HashCode: it is salted per process
                var family = Families[Pick(random, Weights)];
                var replica = replicas[random.Next(replicas.Count)];
                var fuzz = new Fuzz(random, emitToken, readToken);
                outcomes.Add(family.StartsWith("raw-", StringComparison.Ordinal)
                    ? await SendRawAsync(index, family, replica, fuzz.Raw(family), cancellationToken)
                    : await SendAsync(index, family, http, replica, fuzz.Http(family), acknowledged, cancellationToken));
            });
        var elapsed = started.Elapsed;

        var after = (await marker.EmitAsync(EventsClient.Event("audit", "fuzz-marker")))[0];
        TestContext.WriteLine(Summary(outcomes, elapsed));

        var failures = outcomes.Where(o => o.Failure is not null).OrderBy(o => o.Index).ToList();
        Assert.IsEmpty(failures, $"{failures.Count} of {outcomes.Count} requests failed the contract (seed {seed}):\n" +
            string.Join("\n", failures.Take(25).Select(f => $"#{f.Index} {f.Family} → {f.Status}: {f.Failure}\n    {f.Description}")));

        // An emit whose answer never came (the connection closed first, or the client gave up) may still have been
        // committed — an emit that has started is finished — so its events may be stored unacknowledged. At most that many.
        var unanswered = outcomes.Where(o => o.Status is "closed" or "no answer").Sum(o => o.EventsIfStored);
        await CheckWindowAsync(before.Sequence, after.Sequence, windowStart, acknowledged, unanswered, readToken);
    }

    /// <summary>The window holds exactly what was acknowledged, and every read path gets through it.</summary>
    private async Task CheckWindowAsync(long first, long last, DateTimeOffset windowStart, ConcurrentDictionary<string, long> acknowledged,
        int unanswered, string token)
    {
        var replicas = KavachSystem.StreamApiReplicas;
        using var reader = new EventsClient(replicas[1], token);
        var stored = new Dictionary<string, long>();
        for (long position = first; position < last;)
        {
            var page = await reader.GetJsonAsync($"/api/kavach/events?after={position}&limit=1000");
            var events = page.GetProperty("events").EnumerateArray().ToList();
            Assert.IsNotEmpty(events, $"paging stopped at {position}, before the window's end {last}");
            foreach (var e in events.Where(e => e.GetProperty("sequence").GetInt64() < last))
            {
                stored[e.GetProperty("id").GetString()!] = e.GetProperty("sequence").GetInt64();
            }

            position = events[^1].GetProperty("sequence").GetInt64();
        }

        var expected = acknowledged.Where(a => a.Value > first && a.Value < last).ToDictionary(a => a.Key, a => a.Value);
        var unexpected = stored.Keys.Except(expected.Keys).ToList();
        var missing = expected.Keys.Except(stored.Keys).Take(5).ToList();
        Assert.IsLessThanOrEqualTo(unanswered, unexpected.Count,
            $"stored but never acknowledged, beyond the {unanswered} event(s) of emits whose answer was lost: " + string.Join(", ", unexpected.Take(5)));
        Assert.IsEmpty(missing, "acknowledged but not stored: " + string.Join(", ", missing));
        Assert.AreEqual(last - first - 1, stored.Count, "sequences in the window are not gap-free");
        TestContext.WriteLine($"Window {first}..{last}: {stored.Count} events stored, all acknowledged; paging walked to the end.");

        var replay = await reader.GetJsonAsync($"/api/kavach/events/replay?since={Uri.EscapeDataString(windowStart.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture))}");
        Assert.AreEqual(JsonValueKind.Array, replay.GetProperty("events").ValueKind);

        foreach (var replica in replicas)
        {
            await using var stream = await SseClient.ConnectAsync(replica, token, lastEventId: first.ToString(CultureInfo.InvariantCulture));
            var received = await stream.CollectAsync(r => r.Any(e => e.Sequence >= last), TimeSpan.FromSeconds(60));
            Assert.AreEqual(last - first, received.Count(r => r.Sequence <= last), $"the stream on {replica} skipped events in the window");
        }
    }

    private static async Task<Outcome> SendAsync(int index, string family, HttpClient http, Uri replica, HttpRequestMessage request,
        ConcurrentDictionary<string, long> acknowledged, CancellationToken cancellationToken)
    {
        request.RequestUri = new Uri(replica, request.RequestUri!.OriginalString);
        var description = $"{request.Method} {request.RequestUri.PathAndQuery} {string.Join(" ", request.Headers.Select(h => $"[{h.Key}: {Clip(string.Join(",", h.Value), 60)}]"))}";
        if (request.Content is not null)
        {
            description += " body " + Clip(Convert.ToHexString(await request.Content.ReadAsByteArrayAsync(cancellationToken)), 300);
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (mediaType == "text/event-stream" && status == 200)
            {
                return new Outcome(index, family, "200", description, null); // a live stream: leave it at its headers
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (status == 201)
            {
                foreach (var e in JsonDocument.Parse(body).RootElement.GetProperty("events").EnumerateArray())
                {
                    acknowledged[e.GetProperty("id").GetString()!] = e.GetProperty("sequence").GetInt64();
                }
            }

            var judged = Judge(status, mediaType, body.Length > 0, request.RequestUri.AbsolutePath);
            if (judged is not null && status >= 500)
            {
                judged += $" (answer: {Clip(Encoding.UTF8.GetString(body), 300)})"; // which refusal it was: a problem's title says
            }

            return new Outcome(index, family, status.ToString(CultureInfo.InvariantCulture), description, judged);
        }
        catch (HttpRequestException)
        {
            return new Outcome(index, family, "closed", description, null) { EventsIfStored = await EmittedIfStoredAsync(request) };
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Outcome(index, family, "no answer", description, null) { EventsIfStored = await EmittedIfStoredAsync(request) };
        }
    }

    private static async Task<int> EmittedIfStoredAsync(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath == EmitPath && request.Content is not null
            ? EventsIn(await request.Content.ReadAsByteArrayAsync()) : 0;

    private static async Task<Outcome> SendRawAsync(int index, string family, Uri replica, (byte[] Bytes, bool HalfClose) request, CancellationToken cancellationToken)
    {
        var description = $"raw {Clip(Convert.ToHexString(request.Bytes), 400)}{(request.HalfClose ? " (then half-closed)" : "")}";
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var received = new MemoryStream();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, replica.Port), cancellationToken);
            await socket.SendAsync(request.Bytes, SocketFlags.None, cancellationToken);
            if (request.HalfClose)
            {
                socket.Shutdown(SocketShutdown.Send);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RawReadTimeout);
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0 && received.Length < 256 * 1024)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (received.Length == 0)
            {
                return new Outcome(index, family, "no answer", description, null) { EventsIfStored = RawEmitEvents(request.Bytes) };
            }
        }
        catch (SocketException)
        {
            // Reset by the server: a refused request.
        }

        var text = Encoding.Latin1.GetString(received.ToArray());
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || text.Length < 12)
        {
            return new Outcome(index, family, "closed", description, null) { EventsIfStored = RawEmitEvents(request.Bytes) };
        }

        var status = int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture);
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = (headerEnd < 0 ? text : text[..headerEnd]).Split("\r\n").Skip(1)
            .Select(h => h.Split(':', 2)).Where(h => h.Length == 2).ToLookup(h => h[0].Trim(), h => h[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var hasBody = headers["Content-Length"].Any(l => l != "0") || headers["Transfer-Encoding"].Any(t => t.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            && headerEnd >= 0 && !text[(headerEnd + 4)..].StartsWith("0\r\n", StringComparison.Ordinal);
        var mediaType = headers["Content-Type"].FirstOrDefault()?.Split(';')[0].Trim();
        var requestLine = Encoding.Latin1.GetString(request.Bytes).Split("\r\n")[0];
        var path = requestLine.Split(' ', 3) is { Length: 3 } parts ? RoutedPath(parts[1]) : "";

        // Kestrel's answer to a request line whose version is not HTTP/1.x, before any application code runs (RFC 9110
        // 15.6.6: the server does not support that major version). It is about the client's protocol, not a failure.
        if (status == 505 && !requestLine.EndsWith(" HTTP/1.1", StringComparison.Ordinal) && !requestLine.EndsWith(" HTTP/1.0", StringComparison.Ordinal))
        {
            return new Outcome(index, family, "505", description, hasBody ? "a 505 with a body" : null);
        }

        var judged = Judge(status, mediaType, hasBody, path);
        if (judged is not null && status >= 500)
        {
            judged += $" (answer: {Clip(headerEnd < 0 ? text : text[(headerEnd + 4)..], 300)})";
        }

        return new Outcome(index, family, status.ToString(CultureInfo.InvariantCulture), description, judged);
    }

    /// <summary>
    /// A raw request to emit, whose answer was lost, could have stored at most one event (the raw families send one
    /// event, or none that parses): none unless it is a POST to the emit route.
    /// </summary>
    private static int RawEmitEvents(byte[] request) =>
        Encoding.Latin1.GetString(request).StartsWith($"POST {EmitPath} ", StringComparison.Ordinal) ? 1 : 0;

    /// <summary>The path as routing sees it: an absolute-form target loses its scheme and authority; escapes are decoded.</summary>
    private static string RoutedPath(string target)
    {
        var path = target.Split('?')[0];
        if (Uri.TryCreate(path, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            path = absolute.AbsolutePath;
        }

        try
        {
            return Uri.UnescapeDataString(path);
        }
        catch (UriFormatException)
        {
            return path;
        }
    }

    /// <summary>Null when the answer keeps the contract, otherwise what is wrong with it.</summary>
    private static string? Judge(int status, string? mediaType, bool hasBody, string path)
    {
        if (status >= 500)
        {
            return $"a {status} for client input";
        }

        if (status is >= 400 and < 500 && hasBody && mediaType != "application/problem+json"
            && !(status == 401 && path.EndsWith("/events/stream", StringComparison.Ordinal) && mediaType == "text/event-stream"))
        {
            return $"a {status} whose body is {mediaType ?? "untyped"}, not problem details";
        }

        return null;
    }

    private static string Summary(IEnumerable<Outcome> outcomes, TimeSpan elapsed)
    {
        var all = outcomes.ToList();
        var text = new StringBuilder($"Fuzz: {all.Count} requests in {elapsed.TotalSeconds:0.0} s ({all.Count / elapsed.TotalSeconds:0} per second).\n");
        text.AppendLine("Requests per family, with their answers:");
        foreach (var family in all.GroupBy(o => o.Family).OrderBy(g => Array.IndexOf(Families, g.Key)))
        {
            text.AppendLine($"  {family.Key,-18} {family.Count(),6}   " +
                string.Join("  ", family.GroupBy(o => o.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}")));
        }

        text.Append("Status histogram: ")
            .AppendJoin("  ", all.GroupBy(o => o.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}"));
        return text.ToString();
    }

    private static int Pick(Random random, int[] weights)
    {
        var roll = random.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            if ((roll -= weights[i]) < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    /// <summary>One malformed request, drawn from a seeded random source.</summary>
    private sealed class Fuzz(Random random, string emitToken, string readToken)
    {
        private const string Emit = "/api/kavach/events";

        private static readonly string[] Paths =
        [
            "/api/kavach/events", "/api/kavach/events/replay", "/api/kavach/events/stream", "/api/kavach/events/stream/connections",
            "/health", "/alive", "/api/kavach/dev/tokens", "/openapi/v1.json", "/", "/api/kavach", "/api/kavach/events/",
            "/api/kavach/events/nope", "/api/kavach/events/stream/connections/x", "/%00", "/api/kavach/%ZZ", "/api/kavach/events%2Fstream",
            "/api/kavach/events/%E2%80%A8", "/api/kavach/events/%C0%AF", "//api//kavach", "/api/kavach/events/..%2F..%2Fhealth",
        ];

        /// <summary>JSON string contents (already escaped as a client would write them).</summary>
        private static readonly string[] Strings =
        [
            "\\u0000", "a\\u0000b", "\\ud800", "\\udc00", "\\udc00\\ud800", "\\ud800x", "\\ud83d\\ude00", "😀", "\\u2028\\u2029", "\\ufffe\\uffff",
            "\\u0001", "\\n", "\\r\\n", "\\u0085", "", " ", "<script>", "%00", "é", "audit", "agent.created", "\\\"", "\\\\",
            new string('x', 200), new string('x', 201), new string('y', 5000), "\\uDBFF\\uDFFF", "\\u00", "\\x41", "\\u12G4",
        ];

        private static readonly string[] Numbers =
        [
            "0", "-0", "1", "-1", "1e308", "1.8e308", "-1e309", "1e1000", "1e1000000", "1e-400", "5e-324", "1e-16383", "1e-16384", "1e-100000",
            "0e-16384", "0e999999999", "1.7976931348623157e308", "123456789012345678901234567890", new string('9', 400), "0." + new string('1', 17000),
            "1E+2", "01", "1.", ".5", "+1", "NaN", "Infinity", "0x10", "1e", "--1",
        ];

        private static readonly string[] Timestamps =
        [
            "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.9999999Z", "2026-01-01T00:00:00",
            "2026-01-01", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+15:00", "yesterday", "", "2026-01-01T00:00:00Z\\u0000",
            "2026-01-01T00:00:00\\ud800Z", "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z",
        ];

        private static readonly string[] Types = ["audit", "agent.created", "anomaly.detected", "Audit", "audit ", "nope", "", "audit\\u0000"];

        private static readonly byte[][] BadUtf8 =
        [
            [0xFF], [0xFE], [0x80], [0xC3], [0xC3, 0x28], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x00], [0xEF, 0xBB, 0xBF],
        ];

        private static readonly string[] QueryValues =
        [
            "-1", "0", "1", "99999999999999999999", "9223372036854775807", "9223372036854775808", "1e3", "abc", "", "%00", "%ZZ", "%",
            "%E2%80%A8", "%ED%A0%80", "%FF", "1%2C2", "audit,,audit", "audit;agent.created", "audit%2Cnope", "2026-01-01T00:00:00Z",
            "0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "%2B1", " 1", new string('9', 2000),
        ];

        private T One<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

        private bool Chance(int percent) => random.Next(100) < percent;

        public HttpRequestMessage Http(string family) => family switch
        {
            "emit-json" => EmitRequest(Encoding.UTF8.GetBytes(JsonBody())),
            "emit-bytes" => EmitRequest(MutateBytes(Encoding.UTF8.GetBytes(JsonBody()))),
            "emit-headers" => EmitWithOddHeaders(),
            "page-query" => Get($"{Emit}?{Query("after", "types", "agentId", "since", "until", "limit")}", readToken),
            "replay-query" => Get($"{Emit}/replay?{Query("since", "types", "since")}", readToken),
            "stream" => StreamRequest(),
            _ => OtherEndpoint(),
        };

        public (byte[] Bytes, bool HalfClose) Raw(string family)
        {
            var path = One(Paths);
            switch (family)
            {
                case "raw-request-line":
                    string[] lines =
                    [
                        $"GET {path} HTTP/1.1", $"GET {path} HTTP/1.0", $"GET {path} HTTP/2.0", $"GET {path} HTTP/9.9", $"GET {path}", $"GET  {path} HTTP/1.1",
                        $"get {path} HTTP/1.1", $"FOO {path} HTTP/1.1", $"G\tET {path} HTTP/1.1", $"GET {path}\u0000 HTTP/1.1", "GET * HTTP/1.1",
                        $"GET http://127.0.0.1{path} HTTP/1.1", $"CONNECT {path} HTTP/1.1", "PRI * HTTP/2.0", $"GET /{new string('a', 20000)} HTTP/1.1",
                        $"POST {path}?{new string('q', 9000)} HTTP/1.1", $"GET {path}#frag HTTP/1.1", $"GET {path} HTTP/1.1 extra", "\r\n\r\nGET / HTTP/1.1",
                        $"GET {path.Replace('/', '\\')} HTTP/1.1", "GET /api/kavach/events?after=%00 HTTP/1.1",
                    ];
                    var line = Encoding.Latin1.GetBytes(One(lines));
                    if (Chance(30))
                    {
                        line = [.. line.Take(4), .. One(BadUtf8), .. line.Skip(4)];
                    }

                    return ([.. line, .. "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"u8], false);
                case "raw-headers":
                    byte[][] headerLines =
                    [
                        [.. "Authorization: Bearer "u8, .. One(BadUtf8)], [.. "Last-Event-ID: "u8, .. One(BadUtf8)], [.. "Accept: text/"u8, .. One(BadUtf8)],
                        "Authorization: \u0001"u8.ToArray(), "NoColonHere"u8.ToArray(), " folded: continuation"u8.ToArray(), "Bad Name: x"u8.ToArray(),
                        "X: a\rb"u8.ToArray(), [.. "X-Big: "u8, .. Encoding.ASCII.GetBytes(new string('h', 40000))], "Content-Length: 5\r\nContent-Length: 6"u8.ToArray(),
                        "Content-Length: -1"u8.ToArray(), "Content-Length: abc"u8.ToArray(), "Content-Length: 5\r\nTransfer-Encoding: chunked"u8.ToArray(),
                        "Transfer-Encoding: gzip, chunked"u8.ToArray(), "Transfer-Encoding: identity"u8.ToArray(), "Host: a\r\nHost: b"u8.ToArray(),
                        ":authority: x"u8.ToArray(), [.. "Accept: "u8, .. Encoding.ASCII.GetBytes(string.Join(",", Enumerable.Repeat("text/event-stream;q=0.1", 1500)))],
                        [.. "Last-Event-ID: "u8, .. Encoding.ASCII.GetBytes(new string('9', 5000))], "Expect: 100-continue"u8.ToArray(),
                        [.. "Content-Type: application/json; charset="u8, .. One(BadUtf8)], "Authorization: Bearer a.b.c"u8.ToArray(),
                    ];
                    var method = path == Emit || path.Contains("tokens", StringComparison.Ordinal) ? "POST" : "GET";
                    return ([.. Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"), .. One(headerLines),
                        .. "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8], false);
                case "raw-chunked":
                    // Complete bodies are answered at once; truncated ones are half-closed, since Kestrel would wait for the rest.
                    (string Body, bool Truncated)[] chunked =
                    [
                        ("zz\r\nabc\r\n0\r\n\r\n", false), ("5\r\n{\"typ\r\n0\r\n\r\n", false), ("5\r\n{\"type\":\"audit\"}\r\n0\r\n\r\n", false),
                        ("-1\r\n\r\n", false), ("ffffffffffffffffff\r\nx\r\n", false), ("3;ext=\"\u0001\"\r\nabc\r\n0\r\n\r\n", false),
                        ("3\nabc\n0\n\n", false), ("3\r\nabcdef\r\n0\r\n\r\n", false), ("0\r\nTrailer\u0000: x\r\n\r\n", false),
                        ("1 1\r\na\r\n0\r\n\r\n", false), ("0x5\r\nabcde\r\n0\r\n\r\n", false), ("+5\r\nabcde\r\n0\r\n\r\n", false),
                        ("10\r\n{\"type\":\"audit\"}", true), ("5\r\n{\"typ", true), ("", true), ("f\r\n{\"type\":\"audit\"}\r\n", true),
                    ];
                    var (chunks, truncated) = One(chunked);
                    return ([.. Encoding.ASCII.GetBytes($"POST {Emit} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {emitToken}\r\n" +
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"), .. Encoding.Latin1.GetBytes(chunks)], truncated);
                case "raw-short-body":
                    var body = Encoding.UTF8.GetBytes(JsonBody());
                    var sent = body.Take(random.Next(body.Length)).ToArray();
                    return ([.. Encoding.ASCII.GetBytes($"POST {Emit} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {emitToken}\r\n" +
                        $"Content-Type: application/json\r\nContent-Length: {body.Length + random.Next(1, 1000)}\r\nConnection: close\r\n\r\n"), .. sent],
                        !Chance(3)); // a few wait for Kestrel's minimum body data rate: 408 after its 5 s grace period
                default: // raw-utf8-body: a complete request whose body holds invalid UTF-8
                    var utf8 = MutateBytes(Encoding.UTF8.GetBytes(JsonBody()), forceInvalidUtf8: true);
                    return ([.. Encoding.ASCII.GetBytes($"POST {Emit} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {emitToken}\r\n" +
                        $"Content-Type: application/json\r\nContent-Length: {utf8.Length}\r\nConnection: close\r\n\r\n"), .. utf8], false);
            }
        }

        private HttpRequestMessage EmitRequest(byte[] body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, Emit) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", emitToken);
            return request;
        }

        private HttpRequestMessage EmitWithOddHeaders()
        {
            var request = EmitRequest(Encoding.UTF8.GetBytes(JsonBody()));
            string[] contentTypes =
            [
                "text/plain", "application/json; charset=utf-16", "application/json; charset=\"utf-8\"", "application/json;;;", "json", ";json",
                "application/json; charset=latin1", "*/*", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json",
                "application/json; charset=", "application/json; q=\u00e9", "",
            ];
            request.Content!.Headers.Remove("Content-Type");
            if (Chance(85))
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", One(contentTypes));
            }

            string[] authorizations =
            [
                "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer " + new string('A', 6000), "bearer " + emitToken, "Bearer  " + emitToken,
                "Bearer " + emitToken[..^2], "Bearer " + readToken, "Bearer " + Tokens.Expired(), "Bearer " + Tokens.SignedWithAnotherKey(), "Bearer \u00e9\u00e9",
            ];
            if (Chance(50))
            {
                request.Headers.Remove("Authorization");
                request.Headers.TryAddWithoutValidation("Authorization", One(authorizations));
            }

            if (Chance(20))
            {
                request.Headers.TryAddWithoutValidation("Content-Encoding", One(new[] { "gzip", "br", "identity", "x" }));
            }

            return request;
        }

        private HttpRequestMessage StreamRequest()
        {
            var request = Get($"{Emit}/stream?{Query("types", "lastEventId", "since", "token")}", Chance(70) ? readToken : null);
            string[] lastEventIds = ["-1", "abc", "1e3", "99999999999999999999", "9223372036854775807", "1,2", " ", "\u00e9", "0x10", "+5"];
            string[] accepts = ["application/json", "text/html;q=1, text/event-stream;q=0", "garbage;;;", "*/*;q=0", "text/*", "image/png", "text/event-stream; q=abc"];
            if (Chance(60))
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", One(lastEventIds));
            }

            if (Chance(50))
            {
                request.Headers.Remove("Accept");
                request.Headers.TryAddWithoutValidation("Accept", One(accepts));
            }

            return request;
        }

        private HttpRequestMessage OtherEndpoint()
        {
            HttpMethod[] methods = [HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Head, HttpMethod.Options, new("FOO"), new("PROPFIND")];
            var path = One(Paths);
            if (path.Contains("tokens", StringComparison.Ordinal))
            {
                path += "?" + Query("subject", "scope", "minutes", "subject");
            }

            var request = new HttpRequestMessage(One(methods), path);
            if (Chance(60))
            {
                request.Headers.TryAddWithoutValidation("Authorization", Chance(50) ? "Bearer " + readToken : "Bearer garbage");
            }

            if (Chance(20))
            {
                request.Content = new ByteArrayContent(MutateBytes(Encoding.UTF8.GetBytes(JsonBody())));
            }

            return request;
        }

        private HttpRequestMessage Get(string path, string? token)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(path.Contains("/stream", StringComparison.Ordinal) ? "text/event-stream" : "application/json"));
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return request;
        }

        /// <summary>Some of the named parameters, each with a bad, odd or good value (already URL-encoded).</summary>
        private string Query(params string[] names)
        {
            var parts = names.Where(_ => Chance(60)).Select(name => $"{name}={QueryValue(name)}").ToList();
            if (Chance(15))
            {
                parts.Add(One(new[] { "x=%00", "%00=1", "==", "&&", "a=%", "types", "after=1&after=2", "limit=1&limit=x" }));
            }

            return string.Join("&", parts);
        }

        private string QueryValue(string name) => Chance(30) ? name switch
        {
            "types" => One(new[] { "audit", "audit,agent.created", "audit%2C%20anomaly.detected", "AUDIT" }),
            "since" or "until" => Uri.EscapeDataString(One(new[] { "2026-01-01T00:00:00Z", "2026-01-01T00:00:00+05:30" })),
            "limit" => random.Next(-5, 1100).ToString(CultureInfo.InvariantCulture),
            "after" or "lastEventId" => random.NextInt64(-5, 1_000_000).ToString(CultureInfo.InvariantCulture),
            "minutes" => random.Next(-5, 2000).ToString(CultureInfo.InvariantCulture),
            _ => Uri.EscapeDataString(One(new[] { "agent-1", "me", "events:emit", "a b", "é😀" })),
        } : One(QueryValues);

        /// <summary>An emit body: one event or a batch, most of them with something wrong.</summary>
        private string JsonBody()
        {
            if (Chance(5))
            {
                return One(new[] { "", "null", "[]", "{}", "[[]]", "\"audit\"", "42", "{\"type\":", "{'type':'audit'}", "[{\"type\":\"audit\"},]", "{\"type\":\"audit\"} x" });
            }

            var events = Enumerable.Range(0, Chance(30) ? random.Next(2, 6) : 1).Select(_ => EventJson()).ToList();
            return events.Count == 1 && Chance(80) ? events[0] : $"[{string.Join(",", events)}]";
        }

        private string EventJson()
        {
            var fields = new List<string> { $"\"type\":\"{(Chance(80) ? "audit" : One(Types))}\"" };
            if (Chance(70))
            {
                fields.Add($"\"agentId\":\"fuzz-{(Chance(75) ? "agent" : One(Strings))}\"");
            }

            foreach (var (name, percent) in new[] { ("id", 20), ("userId", 20), ("timestamp", 25), ("data", 70) })
            {
                if (Chance(percent))
                {
                    fields.Add($"\"{name}\":{FieldValue(name)}");
                }
            }

            if (Chance(10))
            {
                fields.Add(One(new[] { "\"agentid\":\"x\"", "\"type\":\"audit\"", "\"\\ud800\":1", "\"\\u0000\":1", "\"extra\":null", "\"data\":{}" }));
            }

            return "{" + string.Join(",", fields.OrderBy(_ => random.Next())) + "}";
        }

        private string FieldValue(string name) => name switch
        {
            "data" when Chance(85) => DataObject(random.Next(1, 4)),
            "timestamp" when Chance(85) => $"\"{One(Timestamps)}\"",
            _ when Chance(70) => $"\"{(name == "id" ? $"fuzz-{random.NextInt64():x}-" : "")}{One(Strings)}\"",
            _ => One(new[] { "null", "1", "true", "[]", "{}", "[\"a\"]", "1e400" }),
        };

        private string DataObject(int members)
        {
            var depth = random.Next(10) switch
            {
                0 => One(new[] { 31, 32, 33, 34, 61, 62, 63, 64, 65, 100 }),
                _ => random.Next(0, 4),
            };
            var parts = Enumerable.Range(0, members).Select(i => $"\"{(Chance(85) ? "k" + i : One(Strings))}\":{Value()}").ToList();
            if (Chance(8))
            {
                parts.Add(parts[0]); // a duplicate name
            }

            var inner = "{" + string.Join(",", parts) + "}";
            for (var level = 1; level < depth; level++)
            {
                inner = Chance(50) ? $"{{\"n\":{inner}}}" : $"[{inner}]";
            }

            return inner.StartsWith('{') ? inner : $"{{\"wrapped\":{inner}}}";
        }

        private string Value() => random.Next(6) switch
        {
            0 or 1 => $"\"{One(Strings)}\"",
            2 or 3 => One(Numbers),
            4 => One(new[] { "true", "false", "null", "[]", "{}" }),
            _ => $"[{One(Numbers)},\"{One(Strings)}\"]",
        };

        private byte[] MutateBytes(byte[] body, bool forceInvalidUtf8 = false)
        {
            var bytes = body.ToList();
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations || (forceInvalidUtf8 && m == 0); m++)
            {
                var at = random.Next(bytes.Count + 1);
                switch (forceInvalidUtf8 ? 0 : random.Next(5))
                {
                    case 0:
                        bytes.InsertRange(at, One(BadUtf8));
                        break;
                    case 1 when bytes.Count > 0:
                        bytes[Math.Min(at, bytes.Count - 1)] ^= (byte)(1 << random.Next(8));
                        break;
                    case 2:
                        bytes.RemoveRange(at, bytes.Count - at);
                        break;
                    case 3:
                        bytes.Insert(at, (byte)random.Next(256));
                        break;
                    default:
                        bytes.InsertRange(at, bytes.Take(at).Reverse().Take(random.Next(1, 20)).ToArray());
                        break;
                }
            }

            return [.. bytes];
        }
    }
}
