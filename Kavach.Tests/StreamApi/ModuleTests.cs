using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kavach.StreamApi;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Module;
using Kavach.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kavach.Tests.StreamApi;

/// <summary>
/// The in-process module API and settings that the shared system does not use, on extra API instances over the
/// same PostgreSQL (and Redis).
/// </summary>
[TestClass]
public sealed class ModuleTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static string NewAgent() => $"agent-{Guid.NewGuid():N}";

    private static EventDraft Draft(string type, string agent) =>
        new(type, JsonDocument.Parse("""{"source":"in-process"}""").RootElement, AgentId: agent);

    [TestMethod]
    public async Task ModuleAllowListHoldsForLiveReplayAndPages()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, new Dictionary<string, string?>
        {
            ["Kavach:Stream:EventTypes:0"] = "audit",
            ["Kavach:Stream:EventTypes:1"] = "anomaly.detected",
        });
        var agent = NewAgent();
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var emitted = (await host.Module.EmitAsync([Draft("agent.created", agent), Draft("audit", agent), Draft("anomaly.detected", agent)])).Stored();

        var replayed = await host.Module.ReplayAsync(since);
        Assert.IsTrue(replayed.All(e => e.Type is "audit" or "anomaly.detected"));
        Assert.HasCount(2, replayed.Where(e => e.AgentId == agent).ToList());

        using var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Reader());
        var page = JsonDocument.Parse(await http.GetStringAsync($"/api/kavach/events?agentId={agent}")).RootElement;
        CollectionAssert.AreEqual(new[] { "audit", "anomaly.detected" }, page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList());
        var replay = JsonDocument.Parse(await http.GetStringAsync($"/api/kavach/events/replay?since={Uri.EscapeDataString(since.ToString("O"))}&types=agent.created")).RootElement;
        Assert.AreEqual(0, replay.GetProperty("events").GetArrayLength(), "a type outside the allow-list was replayed");

        await using var stream = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader(), lastEventId: (emitted[0].Sequence - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        _ = (await host.Module.EmitAsync([Draft("agent.revoked", agent), Draft("audit", agent)])).Stored();
        var received = await stream.CollectAsync(r => r.Count(e => e.AgentId == agent) >= 3, Generous);
        Assert.IsTrue(received.All(e => e.EventType is "audit" or "anomaly.detected"), string.Join(",", received.Select(e => e.EventType)));
    }

    [TestMethod]
    public async Task EventsWhoseFanOutNeverCameStillReachEveryReplica()
    {
        // This instance has no Redis: nothing it commits is published. The system's replicas must find it anyway.
        await using var host = await StreamApiHost.StartAsync(withRedis: false);
        var agent = NewAgent();
        await using var onA = await SseClient.ConnectAsync(KavachSystem.StreamApiReplicas[0], Tokens.Reader());
        await using var onB = await SseClient.ConnectAsync(KavachSystem.StreamApiReplicas[1], Tokens.Reader());
        await onA.NextAsync();
        await onB.NextAsync();

        var emitted = (await host.Module.EmitAsync([Draft("budget.exceeded", agent), Draft("anomaly.detected", agent)])).Stored();

        foreach (var stream in new[] { onA, onB })
        {
            var received = await stream.CollectAsync(r => r.Count(e => e.AgentId == agent) >= 2, Generous);
            CollectionAssert.AreEqual(emitted.Select(e => e.Sequence).ToList(), received.Where(e => e.AgentId == agent).Select(e => e.Sequence).ToList());
        }
    }

    [TestMethod]
    public async Task EmitsAndStreamsKeepWorkingWhenRedisIsUnreachable()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=500",
        });
        var agent = NewAgent();
        await using var onSystem = await SseClient.ConnectAsync(KavachSystem.StreamApiReplicas[0], Tokens.Reader());
        await using var onHost = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader());
        await onSystem.NextAsync();
        await onHost.NextAsync();

        using var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Emitter());
        async Task EmitAsync(string type)
        {
            using var response = await http.PostAsync("/api/kavach/events",
                new StringContent($$"""{"type":"{{type}}","agentId":"{{agent}}"}""", MediaTypeHeaderValue.Parse("application/json")));
            Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        await EmitAsync("auth.failed");
        var received = await onSystem.CollectAsync(r => r.Any(e => e.AgentId == agent), Generous);
        Assert.AreEqual("auth.failed", received.Single(e => e.AgentId == agent).EventType);

        // Once a Redis command of the instance's own connection has failed (after its timeout, or at once when the
        // connection is known down), the instance is still up, emitting and streaming.
        var redis = host.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>();
        var failed = await Assert.ThrowsAsync<Exception>(() => redis.GetDatabase().PingAsync().WaitAsync(Generous));
        Assert.IsTrue(failed is StackExchange.Redis.RedisException or TimeoutException, failed.ToString());
        await EmitAsync("auth.signin");
        var local = await onHost.CollectAsync(r => r.Count(e => e.AgentId == agent) >= 2, Generous);
        CollectionAssert.AreEqual(new[] { "auth.failed", "auth.signin" }, local.Where(e => e.AgentId == agent).Select(e => e.EventType).ToList());
    }

    /// <summary>
    /// Retention removes events by age only up to a checkpoint signed before the cutoff (docs/integrity.md, "Retention,
    /// bound to a checkpoint"): an event whose commit time says it is old enough, but which no checkpoint that old covers
    /// — as when someone wrote its commit time — stays, sweep after sweep, and the log still verifies. The pruning itself,
    /// up to a checkpoint signed long enough ago, is in Kavach.AttackTests' RetentionAttacks (a database of its own).
    /// </summary>
    [TestMethod]
    public async Task RetentionRemovesNothingThatNoCheckpointOlderThanTheWindowCovers()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["Kavach:Stream:Retention"] = "00:10:00",
            ["Kavach:Stream:RetentionSweepInterval"] = "00:00:01",
        });
        var agent = NewAgent();
        var emitted = (await host.Module.EmitAsync([Draft("audit", agent), Draft("audit", agent)])).Stored();

        // The first event (and so everything before it) aged past the window, as if committed 11 minutes ago; every
        // checkpoint is younger.
        await using (var connection = new Npgsql.NpgsqlConnection(await KavachSystem.DatabaseConnectionStringAsync()))
        {
            await connection.OpenAsync();
            await using var age = new Npgsql.NpgsqlCommand(
                "UPDATE kavach_stream_events SET committed_at = now() - interval '11 minutes' WHERE sequence <= $1", connection)
            {
                Parameters = { new Npgsql.NpgsqlParameter { Value = emitted[0].Sequence } },
            };
            await age.ExecuteNonQueryAsync();
        }

        // Three sweeps of this instance that ran to the end after the ageing: at least two began after it.
        using (var sweeps = new RetentionSweeps(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()))
        {
            await sweeps.CompletedAsync(3, Generous);
        }

        var kept = (await host.Module.ReplayAsync(DateTimeOffset.UtcNow.AddHours(-1))).Where(e => e.AgentId == agent).Select(e => e.Sequence).Order().ToList();
        CollectionAssert.AreEqual(emitted.Select(e => e.Sequence).ToList(), kept);

        using var reader = new Kavach.Tests.Support.EventsClient(KavachSystem.StreamApiReplicas[0], Kavach.Tests.Support.Tokens.Reader());
        var report = await reader.GetJsonAsync($"/api/kavach/events/verify?from={emitted[0].Sequence}&to={emitted[1].Sequence}");
        Assert.IsTrue(report.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.AreEqual(2, report.GetProperty("checked").GetInt64(), report.ToString());
    }

    [TestMethod]
    public async Task InProcessEmitRejectsBadDraftsAndStoresNothing()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false);
        var agent = NewAgent();

        var rejected = await host.Module.EmitAsync([Draft("audit", agent), Draft("not.a.type", agent)]) as EmitOutcome.Rejected;

        Assert.IsNotNull(rejected);

        Assert.IsTrue(rejected.Rejection.Errors.ContainsKey("[1].type"));
        Assert.IsEmpty((await host.Module.ReplayAsync(DateTimeOffset.UtcNow.AddMinutes(-1))).Where(e => e.AgentId == agent).ToList());
    }

    [TestMethod]
    public async Task CloseEndsOpenStreamsAndRefusesNewOnes()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false);
        await using var open = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader());
        await open.NextAsync();
        Assert.AreEqual(1, host.Module.ConnectionCount);

        host.Module.Close();

        await open.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        await using var refused = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader());
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, refused.Response.StatusCode);
        Assert.IsNotNull(refused.Response.Headers.RetryAfter);
    }

    [TestMethod]
    public async Task ShutdownEndsStreamsSoClientsReconnectElsewhere()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false);
        await using var open = await SseClient.ConnectAsync(host.CreateClient(), Tokens.Reader());
        await open.NextAsync();

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        await open.Ended.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public async Task WithAuthOffStreamsAndEmitsNeedNoToken()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            ["Kavach:Stream:RequireAuth"] = "false",
            ["Kavach:Auth:SigningKey"] = null,
        });
        var agent = NewAgent();
        await using var stream = await SseClient.ConnectAsync(host.CreateClient(), token: null);
        var connected = await stream.NextAsync();
        Assert.AreEqual("anonymous", connected.Json.GetProperty("subscriberId").GetString());

        using var http = host.CreateClient();
        using var response = await http.PostAsync("/api/kavach/events",
            new StringContent($$"""{"type":"audit","agentId":"{{agent}}"}""", MediaTypeHeaderValue.Parse("application/json")));
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode);
        await stream.CollectAsync(r => r.Any(e => e.AgentId == agent), Generous);
    }

    [TestMethod]
    public async Task BrowsersFromConfiguredOriginsOnlyMayCallCrossOrigin()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?>
        {
            [StreamApiHost.EnvironmentKey] = "Production",
            ["Kavach:Stream:AllowedOrigins:0"] = "https://soc.example.com",
        });
        using var http = host.CreateClient();

        async Task<string?> AllowedOriginFor(string origin)
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/kavach/events/stream");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            preflight.Headers.Add("Access-Control-Request-Headers", "last-event-id");
            using var response = await http.SendAsync(preflight);
            return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
        }

        Assert.AreEqual("https://soc.example.com", await AllowedOriginFor("https://soc.example.com"));
        Assert.IsNull(await AllowedOriginFor("https://evil.example.net"));
        using var devToken = await http.PostAsync("/api/kavach/dev/tokens", null);
        Assert.AreEqual(HttpStatusCode.NotFound, devToken.StatusCode, "the development token endpoint exists outside Development");
    }
}
