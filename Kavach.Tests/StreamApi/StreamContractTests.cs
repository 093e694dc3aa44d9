using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kavach.Tests.Support;

namespace Kavach.Tests.StreamApi;

[TestClass]
public sealed class StreamContractTests
{
    private static Uri Api => KavachSystem.StreamApi;

    [TestMethod]
    public async Task StreamWithoutTokenIs401WithAnSseErrorEvent()
    {
        await using var stream = await SseClient.ConnectAsync(Api, token: null);

        Assert.AreEqual(HttpStatusCode.Unauthorized, stream.Response.StatusCode);
        Assert.AreEqual("Bearer error=\"invalid_token\"", stream.Response.Headers.WwwAuthenticate.ToString());
        Assert.AreEqual("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        var error = await stream.NextAsync();
        Assert.AreEqual("error", error.EventType);
        Assert.AreEqual("UNAUTHORIZED", error.Json.GetProperty("code").GetString());
        Assert.AreEqual("Bearer token required", error.Json.GetProperty("message").GetString());
        await stream.Ended.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    [DataRow("garbage")]
    [DataRow("expired")]
    [DataRow("other-key")]
    public async Task StreamWithBadTokenIs401InvalidToken(string kind)
    {
        var token = kind switch
        {
            "expired" => Tokens.Expired(),
            "other-key" => Tokens.SignedWithAnotherKey(),
            _ => "not-a-jwt",
        };
        await using var stream = await SseClient.ConnectAsync(Api, token);

        Assert.AreEqual(HttpStatusCode.Unauthorized, stream.Response.StatusCode);
        var error = await stream.NextAsync();
        Assert.AreEqual("error", error.EventType);
        Assert.AreEqual("Invalid token", error.Json.GetProperty("message").GetString());
    }

    [TestMethod]
    public async Task QueryStringTokenIsAccepted()
    {
        var token = Tokens.Reader("query-user");
        await using var stream = await SseClient.ConnectAsync(Api, token: null, query: "?token=" + Uri.EscapeDataString(token));

        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode);
        var connected = await stream.NextAsync();
        Assert.AreEqual("query-user", connected.Json.GetProperty("subscriberId").GetString());
    }

    [TestMethod]
    public async Task StreamSendsSseHeadersThenConnected()
    {
        await using var stream = await SseClient.ConnectAsync(Api, Tokens.Reader("subscriber-42"));

        Assert.AreEqual(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.AreEqual("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        var cacheControl = stream.Response.Headers.CacheControl!;
        Assert.IsTrue(cacheControl.NoCache && cacheControl.NoStore && cacheControl.NoTransform, cacheControl.ToString());
        Assert.AreEqual("no", stream.Response.Headers.GetValues("X-Accel-Buffering").Single());

        var connected = await stream.NextAsync();
        Assert.AreEqual("connected", connected.EventType);
        Assert.AreEqual("subscriber-42", connected.Json.GetProperty("subscriberId").GetString());
        Assert.IsFalse(string.IsNullOrEmpty(connected.Json.GetProperty("clientId").GetString()));
        Assert.IsTrue(connected.Json.GetProperty("timestamp").TryGetDateTimeOffset(out _));
    }

    [TestMethod]
    public async Task FirstFrameSetsTheRetryIntervalAndHeartbeatsArrive()
    {
        using var http = new HttpClient { BaseAddress = Api, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/kavach/events/stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Reader());
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        StringAssert.StartsWith(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), "retry: ");

        var deadline = DateTime.UtcNow + KavachSystem.HeartbeatInterval * 5;
        string? line;
        do
        {
            line = await reader.ReadLineAsync().WaitAsync(deadline - DateTime.UtcNow);
        }
        while (line != ": heartbeat");
    }

    [TestMethod]
    public async Task NonEventStreamAcceptIs406ProblemDetails()
    {
        using var http = new HttpClient { BaseAddress = Api };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/kavach/events/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Reader());
        using var response = await http.SendAsync(request);

        Assert.AreEqual(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        StringAssert.Contains(await response.Content.ReadAsStringAsync(), "text/event-stream");
    }

    [TestMethod]
    public async Task NonGetIsRefused()
    {
        using var http = new HttpClient { BaseAddress = Api };
        using var response = await http.PutAsync("/api/kavach/events/stream", new StringContent(""));
        Assert.AreEqual(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [TestMethod]
    [DataRow("?types=agent.created,agent.exploded", "agent.exploded")]
    [DataRow("?since=yesterday", "since")]
    [DataRow("?lastEventId=abc", "lastEventId")]
    [DataRow("?lastEventId=-5", "lastEventId")]
    public async Task BadStreamParametersAre400ProblemDetails(string query, string mentioned)
    {
        await using var stream = await SseClient.ConnectAsync(Api, Tokens.Reader(), query);
        Assert.AreEqual(HttpStatusCode.BadRequest, stream.Response.StatusCode);
        var body = await stream.Response.Content.ReadAsStringAsync();
        StringAssert.Contains(body, mentioned);
        if (query.StartsWith("?types", StringComparison.Ordinal))
        {
            StringAssert.Contains(body, "anomaly.detected"); // lists the valid types
        }
    }

    [TestMethod]
    public async Task MalformedLastEventIdHeaderIs400()
    {
        await using var stream = await SseClient.ConnectAsync(Api, Tokens.Reader(), lastEventId: "2026-01-01T00:00:00Z");
        Assert.AreEqual(HttpStatusCode.BadRequest, stream.Response.StatusCode);
        StringAssert.Contains(await stream.Response.Content.ReadAsStringAsync(), "Last-Event-ID");
    }

    [TestMethod]
    public async Task JsonEndpointsRequireAToken()
    {
        using var anonymous = new EventsClient(Api);
        foreach (var path in new[] { "/api/kavach/events?after=0", "/api/kavach/events/replay?since=2026-01-01T00:00:00Z", "/api/kavach/events/stream/connections" })
        {
            using var response = await anonymous.Http.GetAsync(path);
            Assert.AreEqual(HttpStatusCode.Unauthorized, response.StatusCode, path);
            Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, path);
        }
    }

    [TestMethod]
    public async Task ConnectionsCountsThisReplicaAndAll()
    {
        var replica = KavachSystem.StreamApiReplicas[0];
        using var client = new EventsClient(replica, Tokens.Reader());
        var before = await client.GetJsonAsync("/api/kavach/events/stream/connections");

        await using var stream = await SseClient.ConnectAsync(replica, Tokens.Reader());
        await stream.NextAsync();
        var during = await client.GetJsonAsync("/api/kavach/events/stream/connections");

        Assert.AreEqual(before.GetProperty("connections").GetInt64() + 1, during.GetProperty("connections").GetInt64());
        Assert.IsTrue(during.GetProperty("total").GetInt64() >= during.GetProperty("connections").GetInt64(), during.ToString());
    }
}
