using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kavach.Tests.Support;

namespace Kavach.Tests.StreamApi;

[TestClass]
public sealed class LimitsTests
{
    [TestMethod]
    public async Task ConcurrentConnectsNeverOvershootTheLimitAndExtrasGet503()
    {
        var replica = KavachSystem.StreamApiReplicas[0];
        using var counter = new EventsClient(replica, Tokens.Reader());
        var alreadyOpen = (await counter.GetJsonAsync("/api/kavach/events/stream/connections")).GetProperty("connections").GetInt64();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 3 * KavachSystem.MaxConnectionsPerReplica)
            .Select(_ => SseClient.ConnectAsync(replica, Tokens.Reader())));
        try
        {
            var admitted = attempts.Count(a => a.Response.StatusCode == HttpStatusCode.OK);
            var refused = attempts.Where(a => a.Response.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();

            Assert.AreEqual(KavachSystem.MaxConnectionsPerReplica - alreadyOpen, admitted);
            Assert.AreEqual(attempts.Length - admitted, refused.Count);
            var open = (await counter.GetJsonAsync("/api/kavach/events/stream/connections")).GetProperty("connections").GetInt64();
            Assert.AreEqual(KavachSystem.MaxConnectionsPerReplica, open);

            var sample = refused[0].Response;
            Assert.IsTrue(sample.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is missing");
            Assert.AreEqual("application/problem+json", sample.Content.Headers.ContentType?.MediaType);
            StringAssert.Contains(await sample.Content.ReadAsStringAsync(), "Too many connections");
        }
        finally
        {
            foreach (var attempt in attempts)
            {
                await attempt.DisposeAsync();
            }
        }

        // Closed streams free their places.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await counter.GetJsonAsync("/api/kavach/events/stream/connections")).GetProperty("connections").GetInt64() > alreadyOpen)
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, "closed streams were not released");
            await Task.Delay(200);
        }
    }

    [TestMethod]
    public async Task SlowReaderIsDisconnectedWhileAFastReaderGetsEverything()
    {
        var agent = $"agent-{Guid.NewGuid():N}";
        var replica = KavachSystem.StreamApiReplicas[1];

        // The slow reader opens its stream and then never reads: TCP buffers fill, then its queue.
        using var slowHttp = new HttpClient { BaseAddress = replica, Timeout = Timeout.InfiniteTimeSpan };
        using var slowRequest = new HttpRequestMessage(HttpMethod.Get, "/api/kavach/events/stream");
        slowRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.Reader("slow"));
        using var slowResponse = await slowHttp.SendAsync(slowRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.AreEqual(HttpStatusCode.OK, slowResponse.StatusCode);
        var slowBody = await slowResponse.Content.ReadAsStreamAsync();

        await using var fast = await SseClient.ConnectAsync(replica, Tokens.Reader("fast"));
        await fast.NextAsync();

        // ~16 MB of events: far more than socket buffers plus the test system's 4 MB live buffer hold.
        using var emitter = new EventsClient(KavachSystem.StreamApiReplicas[0], Tokens.Emitter());
        var payload = new { blob = new string('z', 32 * 1024) };
        var emitted = 0;
        for (var batch = 0; batch < 25; batch++)
        {
            emitted += (await emitter.EmitAsync([.. Enumerable.Range(0, 20).Select(_ => EventsClient.Event("audit", agent, payload))])).Count;
        }

        var fastReceived = await fast.CollectAsync(r => r.Count(e => e.AgentId == agent) >= emitted, TimeSpan.FromMinutes(2));
        Assert.AreEqual(emitted, fastReceived.Count(e => e.AgentId == agent));

        // The slow stream was cut off: reading it now reaches its end (told why) or a reset (its socket was full).
        var drained = 0L;
        var buffer = new byte[64 * 1024];
        using var readTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await slowBody.ReadAsync(buffer, readTimeout.Token)) > 0)
            {
                drained += read;
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
        }

        Assert.IsFalse(readTimeout.IsCancellationRequested, "the slow stream was still open");
        Assert.IsTrue(drained < emitted * 32L * 1024, $"the slow reader got everything ({drained} bytes): it was never cut off");
    }

    [TestMethod]
    public async Task TheDevelopmentTokenEndpointIsLimitedPerAddress()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false,
            new Dictionary<string, string?> { ["Kavach:Limits:Tokens:PerAddress"] = "3" }, onKestrel: true);
        using var http = new HttpClient { BaseAddress = host.KestrelAddress };

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await http.PostAsync("/api/kavach/dev/tokens",
                new StringContent("""{"subject":"me","scope":"events:read"}""", System.Text.Encoding.UTF8, "application/json")));
        }

        try
        {
            CollectionAssert.AreEqual(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests },
                answers.Select(a => a.StatusCode).ToArray());
            var refused = answers[^1];
            Assert.IsTrue(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After is missing");
            Assert.AreEqual("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.AreEqual("Kavach:Limits:Tokens:PerAddress", problem.GetProperty("limit").GetString());
        }
        finally
        {
            answers.ForEach(a => a.Dispose());
        }
    }
}
