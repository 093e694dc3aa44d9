using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kavach.StreamApi;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Module;
using Kavach.Tests.Support;
using Npgsql;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// Rare faults and hostile clients against extra API instances on the test system's real PostgreSQL: answers lost
/// at COMMIT, PostgreSQL and Redis away, sockets that stop reading, one client taking every place.
/// </summary>
[TestClass]
public sealed class FaultToleranceTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static string NewAgent() => $"agent-{Guid.NewGuid():N}";

    private static StringContent Json(string json) => new(json, MediaTypeHeaderValue.Parse("application/json"));

    private static async Task<long> CountStoredAsync(string id)
    {
        await using var connection = new NpgsqlConnection(await KavachSystem.DatabaseConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM kavach_stream_events WHERE id = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = id } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static HttpClient Emitter(StreamApiHost host)
    {
        var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Emitter());
        return http;
    }

    [TestMethod]
    public async Task AnEmitWhoseCommitAnswerIsLostIsAnsweredAsStored()
    {
        await using var proxy = await PostgresProxy.StartAsync();
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
        });
        await using var stream = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader());
        await stream.NextAsync();
        using var http = Emitter(host);
        var id = $"lost-answer-{Guid.NewGuid():N}";
        var agent = NewAgent();

        proxy.CutAfterNextStatementWith(id);
        using var response = await http.PostAsync("/api/kavach/events", Json($$"""{"id":"{{id}}","type":"audit","agentId":"{{agent}}"}"""));
        await proxy.CutDone.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, body);
        var sequence = JsonDocument.Parse(body).RootElement.GetProperty("events")[0].GetProperty("sequence").GetInt64();
        Assert.AreEqual(1, await CountStoredAsync(id));
        var received = await stream.CollectAsync(r => r.Any(e => e.AgentId == agent), Generous);
        Assert.AreEqual(sequence, received.Single(e => e.AgentId == agent).Sequence);
    }

    /// <summary>
    /// An emitter reuses an id another emitter stored, and the commit's answer is lost: the outcome check finds the
    /// other emitter's event and answers 409, as the commit itself would have — never 201 with someone else's event.
    /// </summary>
    [TestMethod]
    public async Task AnotherEmittersIdIsAConflictEvenWhenTheCommitAnswerIsLost()
    {
        await using var proxy = await PostgresProxy.StartAsync();
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
        });
        var id = $"taken-{Guid.NewGuid():N}";
        using (var owner = host.CreateClient())
        {
            owner.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Emitter("id-owner"));
            using var first = await owner.PostAsync("/api/kavach/events", Json($$"""{"id":"{{id}}","type":"audit"}"""));
            Assert.AreEqual(HttpStatusCode.Created, first.StatusCode, await first.Content.ReadAsStringAsync());
        }

        using var other = Emitter(host);
        proxy.CutAfterNextStatementWith(id);
        using var response = await other.PostAsync("/api/kavach/events", Json($$"""{"id":"{{id}}","type":"audit"}"""));
        await proxy.CutDone.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.AreEqual(HttpStatusCode.Conflict, response.StatusCode, await response.Content.ReadAsStringAsync());
        Assert.AreEqual(1, await CountStoredAsync(id));
    }

    /// <summary>
    /// Concurrent emits share one group commit. When that commit's answer is lost, each emit is answered for its own
    /// events: stored, with the sequences PostgreSQL gave them — not "not stored" because the others' ids are not its own.
    /// </summary>
    [TestMethod]
    public async Task EveryEmitOfAGroupCommitWhoseAnswerIsLostIsAnsweredAsStored()
    {
        await using var proxy = await PostgresProxy.StartAsync();
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
        });
        await using var stream = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader());
        await stream.NextAsync();
        var agent = NewAgent();
        static EventDraft Audit(string agentId, string? id = null) => new("audit", Id: id, AgentId: agentId);

        // The first commit waits in the proxy, so the three emits after it queue up and are committed as one group.
        var plug = $"{agent}-plug";
        var held = proxy.HoldNextStatementWith(plug);
        var first = host.Module.EmitAsync([Audit(plug)]);
        await held.WaitAsync(TimeSpan.FromSeconds(10));
        var ids = Enumerable.Range(0, 3).Select(i => $"group-{i}-{Guid.NewGuid():N}").ToList();
        var group = ids.Select(id => host.Module.EmitAsync([Audit(agent, id)])).ToList();

        proxy.CutAfterNextStatementWith(ids[0]);
        proxy.ReleaseHeld();
        await first.WaitAsync(Generous);
        await proxy.CutDone.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var answers = new List<string>();
        foreach (var emit in group)
        {
            answers.Add(await emit.WaitAsync(Generous) switch
            {
                EmitOutcome.Emitted emitted => $"stored at {emitted.Events.Single().Sequence}",
                EmitOutcome.Unavailable e => $"{e.Title} (mayBeStored: {e.MayBeStored.ToString().ToLowerInvariant()})",
                var other => $"unexpected: {other}",
            });
        }

        var stored = new List<long>();
        foreach (var id in ids)
        {
            stored.Add(await CountStoredAsync(id));
        }

        Console.WriteLine($"[rare path] a group commit of 3 emits whose answer was lost: stored {string.Join(", ", stored)} times; answered {string.Join("; ", answers)}");
        CollectionAssert.AreEqual(new long[] { 1, 1, 1 }, stored, "the group commit went through");
        Assert.IsTrue(answers.All(a => a.StartsWith("stored at", StringComparison.Ordinal)), string.Join("; ", answers));
        var received = await stream.CollectAsync(r => r.Count(e => e.AgentId == agent) >= 3, Generous);
        CollectionAssert.AreEqual(ids, received.Where(e => e.AgentId == agent).Select(e => e.Json.GetProperty("id").GetString()).ToList(), "each delivered once, in order");
    }

    [TestMethod]
    public async Task AnEmitWhoseCommitNeverHappenedIsRefusedWithItsIdsAndTheRetryStoresItOnce()
    {
        await using var proxy = await PostgresProxy.StartAsync();
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
        });
        using var http = Emitter(host);
        var agent = NewAgent();

        proxy.CutInsteadOfNextStatementWith(agent);
        using var refused = await http.PostAsync("/api/kavach/events", Json($$"""{"type":"audit","agentId":"{{agent}}"}"""));
        await proxy.CutDone.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, refused.StatusCode, problem.ToString());
        Assert.IsTrue(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.IsFalse(problem.GetProperty("mayBeStored").GetBoolean(), problem.ToString());
        var id = problem.GetProperty("ids")[0].GetString()!;
        Assert.AreEqual(0, await CountStoredAsync(id), "the server-generated id comes back so the retry can reuse it");

        using var retried = await http.PostAsync("/api/kavach/events", Json($$"""{"id":"{{id}}","type":"audit","agentId":"{{agent}}"}"""));
        Assert.AreEqual(HttpStatusCode.Created, retried.StatusCode, await retried.Content.ReadAsStringAsync());
        Assert.AreEqual(1, await CountStoredAsync(id));
    }

    [TestMethod]
    public async Task PostgresAwayMakesTheReplicaUnreadyQuicklyAndItRecovers()
    {
        await using var proxy = await PostgresProxy.StartAsync();
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
        });
        using var http = host.CreateClient();
        Assert.AreEqual(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        proxy.Refuse();
        var started = DateTime.UtcNow;
        using var down = await http.GetAsync("/health");
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.IsLessThan(TimeSpan.FromSeconds(5), DateTime.UtcNow - started, "/health must answer quickly");
        StringAssert.Contains(await down.Content.ReadAsStringAsync(), "\"postgres\":\"Unhealthy\"");

        proxy.Resume();
        var deadline = DateTime.UtcNow + Generous;
        while ((await http.GetAsync("/health")).StatusCode != HttpStatusCode.OK)
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, "the replica did not become ready again");
            await Task.Delay(250);
        }
    }

    [TestMethod]
    public async Task AStreamWhoseHistoryReadFailsIsToldAndEndsCleanly()
    {
        await using var proxy = await PostgresProxy.StartAsync();
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
            ["Kavach:Stream:LiveBufferEvents"] = "1024",
        });
        using var http = Emitter(host);
        var events = string.Join(",", Enumerable.Range(0, 1000).Select(_ => """{"type":"audit"}"""));
        var first = 0L;
        for (var batch = 0; batch < 2; batch++)
        {
            using var emitted = await http.PostAsync("/api/kavach/events", Json($"[{events}]"));
            var answer = await emitted.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.Created, emitted.StatusCode, answer);
            first = first == 0 ? JsonDocument.Parse(answer).RootElement.GetProperty("events")[0].GetProperty("sequence").GetInt64() : first;
        }

        // The cursor is older than the replica's live buffer holds: the stream must read PostgreSQL, which is away.
        proxy.Refuse();
        await using var stream = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader(),
            lastEventId: (first - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode);
        var frames = await stream.ReadToEndAsync(Generous);
        var error = frames.Last();
        Assert.AreEqual("error", error.EventType, string.Join(",", frames.Select(f => f.EventType)));
        Assert.AreEqual("STORE_UNAVAILABLE", error.Json.GetProperty("code").GetString());
        proxy.Resume();
    }

    [TestMethod]
    public async Task RedisAwayIsDegradedButStillReady()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=500",
        });
        using var http = host.CreateClient();
        var started = DateTime.UtcNow;
        using var health = await http.GetAsync("/health");
        var body = await health.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode, body);
        StringAssert.Contains(body, "\"status\":\"Degraded\"");
        StringAssert.Contains(body, "\"redis\":\"Degraded\"");
        Assert.IsLessThan(TimeSpan.FromSeconds(5), DateTime.UtcNow - started, "/health must answer quickly");
    }

    [TestMethod]
    public async Task AReaderThatStopsReadingIsAbortedAndItsPlaceFreed()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["Kavach:Stream:WriteTimeout"] = "00:00:02",
            ["Kavach:Stream:LiveBufferBytes"] = (256L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, onKestrel: true);
        var address = host.KestrelAddress;
        using var reader = new EventsClient(address, Tokens.Reader());

        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(IPAddress.Loopback, address.Port);
        var request = $"GET /api/kavach/events/stream HTTP/1.1\r\nHost: {address.Authority}\r\nAccept: text/event-stream\r\n" +
            $"Authorization: Bearer {Tokens.Reader("stalled")}\r\n\r\n";
        await stalled.SendAsync(Encoding.ASCII.GetBytes(request));
        var head = new byte[1024];
        var got = await stalled.ReceiveAsync(head);
        StringAssert.StartsWith(Encoding.ASCII.GetString(head, 0, got), "HTTP/1.1 200");
        Assert.AreEqual(1, (await reader.GetJsonAsync("/api/kavach/events/stream/connections")).GetProperty("connections").GetInt32());

        // Far more than the socket buffers hold, while the stalled client reads nothing.
        using var emitter = Emitter(host);
        var payload = new string('z', 1000);
        var stalledAt = DateTime.UtcNow;
        for (var batch = 0; batch < 12; batch++)
        {
            var events = string.Join(",", Enumerable.Range(0, 1000).Select(_ => $$$"""{"type":"audit","data":{"pad":"{{{payload}}}"}}"""));
            using var emitted = await emitter.PostAsync("/api/kavach/events", Json($"[{events}]"));
            Assert.AreEqual(HttpStatusCode.Created, emitted.StatusCode);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await reader.GetJsonAsync("/api/kavach/events/stream/connections")).GetProperty("connections").GetInt32() > 0)
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, "the stalled reader still holds its place");
            await Task.Delay(100);
        }

        var held = DateTime.UtcNow - stalledAt;
        Console.WriteLine($"stalled reader held its place for {held.TotalSeconds:0.0} s (WriteTimeout 2 s) after the burst began");

        // Its socket was closed by the server: draining it now ends.
        stalled.ReceiveTimeout = 10_000;
        var buffer = new byte[64 * 1024];
        try
        {
            while (stalled.Receive(buffer) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset)
        {
        }
    }

    [TestMethod]
    public async Task AReaderThatFallsOutOfTheLiveBufferIsToldItIsSlowAndTheStreamEndsCleanly()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["Kavach:Stream:LiveBufferBytes"] = (64 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Kavach:Stream:WriteTimeout"] = "00:00:30",
        }, onKestrel: true);
        var address = host.KestrelAddress;

        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(IPAddress.Loopback, address.Port);
        await slow.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /api/kavach/events/stream HTTP/1.1\r\nHost: {address.Authority}\r\nAccept: text/event-stream\r\n" +
            $"Connection: close\r\nAuthorization: Bearer {Tokens.Reader("slow")}\r\n\r\n"));
        var received = new MemoryStream();
        var chunk = new byte[2048];
        received.Write(chunk, 0, await slow.ReceiveAsync(chunk));

        // A trickle reader: 2 KB every 20 ms, far slower than a 4 MB burst.
        using var emitter = Emitter(host);
        var payload = new string('z', 1000);
        var events = string.Join(",", Enumerable.Range(0, 1000).Select(_ => $$$"""{"type":"audit","data":{"pad":"{{{payload}}}"}}"""));
        for (var batch = 0; batch < 4; batch++)
        {
            using var emitted = await emitter.PostAsync("/api/kavach/events", Json($"[{events}]"));
            Assert.AreEqual(HttpStatusCode.Created, emitted.StatusCode);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        int read;
        while ((read = await slow.ReceiveAsync(chunk, timeout.Token)) > 0)
        {
            received.Write(chunk, 0, read);
            await Task.Delay(20, timeout.Token);
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        StringAssert.Contains(text, "event: error\ndata: {\"code\":\"SLOW_CONSUMER\"");
        StringAssert.EndsWith(text.TrimEnd('\r', '\n', '0'), "\"}", "the error event is the last thing written, and the body ends cleanly");
    }

    [TestMethod]
    public async Task AResumingReaderSlowerThanTheStreamIsCutOffInsteadOfCatchingUpForever()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["Kavach:Stream:CatchUpProgressWindow"] = "00:00:02",
            ["Kavach:Stream:WriteTimeout"] = "00:00:30",
        }, onKestrel: true);
        var address = host.KestrelAddress;
        using var emitter = Emitter(host);
        var payload = new string('z', 1000);
        async Task<long> EmitBatchAsync(int count)
        {
            var events = string.Join(",", Enumerable.Range(0, count).Select(_ => $$$"""{"type":"audit","data":{"pad":"{{{payload}}}"}}"""));
            using var response = await emitter.PostAsync("/api/kavach/events", Json($"[{events}]"));
            var answer = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, answer);
            return JsonDocument.Parse(answer).RootElement.GetProperty("events")[0].GetProperty("sequence").GetInt64();
        }

        // 10 MB of history: more than socket buffers swallow, so the reader stays in catch-up.
        var first = await EmitBatchAsync(1000);
        for (var batch = 1; batch < 10; batch++)
        {
            await EmitBatchAsync(1000);
        }

        // Resumes 10,000 events behind, then reads 8 KB every 20 ms (~400 KB/s) while ~1 MB/s keeps coming.
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(IPAddress.Loopback, address.Port);
        await slow.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /api/kavach/events/stream HTTP/1.1\r\nHost: {address.Authority}\r\nAccept: text/event-stream\r\n" +
            $"Connection: close\r\nLast-Event-ID: {first - 1}\r\nAuthorization: Bearer {Tokens.Reader("trickle")}\r\n\r\n"));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var emitting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await EmitBatchAsync(100);
                await Task.Delay(100);
            }
        });

        var received = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await slow.ReceiveAsync(chunk, stop.Token)) > 0)
        {
            received.Write(chunk, 0, read);
            await Task.Delay(20, stop.Token);
        }

        await stop.CancelAsync();
        await emitting.ContinueWith(_ => { });
        StringAssert.Contains(Encoding.UTF8.GetString(received.ToArray()), "event: error\ndata: {\"code\":\"SLOW_CONSUMER\"");
    }

    [TestMethod]
    public async Task OneAddressOrOneSubjectCannotTakeEveryPlace()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["Kavach:Stream:MaxConnections"] = "100",
            ["Kavach:Stream:MaxConnectionsPerAddress"] = "4",
            ["Kavach:Stream:MaxConnectionsPerSubject"] = "2",
        }, onKestrel: true);
        var address = host.KestrelAddress;
        var open = new List<SseClient>();
        try
        {
            foreach (var subject in new[] { "alice", "alice", "bob", "bob" })
            {
                open.Add(await SseClient.ConnectAsync(address, Tokens.Reader(subject)));
                Assert.AreEqual(HttpStatusCode.OK, open[^1].Response.StatusCode);
            }

            await using var thirdAlice = await SseClient.ConnectAsync(address, Tokens.Reader("alice"));
            Assert.AreEqual(HttpStatusCode.TooManyRequests, thirdAlice.Response.StatusCode);
            var problem = await thirdAlice.Response.Content.ReadAsStringAsync();
            StringAssert.Contains(problem, "Too many connections", problem);
            Assert.IsTrue(thirdAlice.Response.Headers.RetryAfter?.Delta > TimeSpan.Zero);

            await using var carol = await SseClient.ConnectAsync(address, Tokens.Reader("carol"));
            Assert.AreEqual(HttpStatusCode.TooManyRequests, carol.Response.StatusCode, "the address already holds four");
        }
        finally
        {
            foreach (var client in open)
            {
                await client.DisposeAsync();
            }
        }
    }
}
