using Kavach.Client;
using Kavach.Contracts;
using Kavach.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.Tests.Client;

/// <summary>
/// Kavach.Client as an application registers it (<c>AddKavachClient</c>, IHttpClientFactory), against the running
/// system through the AppHost's proxy in front of both replicas: emit, follow, resume from a saved cursor, page.
/// </summary>
[TestClass]
public sealed class KavachClientSystemTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [TestMethod]
    public async Task WhatTheClientEmitsItFollowsResumesFromACursorAndPagesEachOnceInOrder()
    {
        var agent = $"client-{Guid.NewGuid():N}";
        await using var services = Services();
        var client = services.GetRequiredService<KavachClient>();
        var request = new StreamRequest { AgentId = agent, Types = [KavachEventTypes.Audit, KavachEventTypes.AnomalyDetected] };
        var live = client.Stream(request);
        using var stop = new CancellationTokenSource(Generous);
        await using var reading = live.GetAsyncEnumerator(stop.Token);
        Assert.IsTrue(await reading.MoveNextAsync() && reading.Current is Connected, "the stream opens with connected");

        var emitted = await client.EmitBatchAsync([.. Enumerable.Range(0, 30).Select(n => new NewEvent(
            n % 3 == 0 ? KavachEventTypes.AnomalyDetected : n % 3 == 1 ? KavachEventTypes.Audit : KavachEventTypes.CostRecorded,
            new { n }, agent))]);
        var wanted = emitted.Where((_, n) => n % 3 != 2).ToList();

        var received = new List<KavachEvent>();
        while (received.Count < wanted.Count && await reading.MoveNextAsync())
        {
            if (reading.Current is KavachEvent e)
            {
                received.Add(e);
            }
        }

        CollectionAssert.AreEqual(wanted.Select(e => (e.Id, e.Sequence)).ToList(), received.Select(e => (e.Id, e.Sequence)).ToList());
        Assert.IsInstanceOfType<AnomalyDetected>(received[0]);
        Assert.IsInstanceOfType<AuditEvent>(received[1]);
        Assert.AreEqual(received[^1].Position.ToString(), live.Cursor);

        // A cursor saved after the fifth event: another process would start here.
        var resumed = new List<KavachEvent>();
        await foreach (var item in client.Stream(request with { After = received[4].Position.ToString() }).WithCancellation(stop.Token))
        {
            if (item is KavachEvent e)
            {
                resumed.Add(e);
                if (resumed.Count == received.Count - 5)
                {
                    break;
                }
            }
        }

        CollectionAssert.AreEqual(received.Skip(5).Select(e => e.Id).ToList(), resumed.Select(e => e.Id).ToList());

        var paged = new List<KavachEvent>();
        await foreach (var e in client.ReadHistoryAsync(new HistoryQuery { AgentId = agent, PageSize = 7 }, stop.Token))
        {
            paged.Add(e);
        }

        CollectionAssert.AreEqual(emitted.Select(e => (e.Id, e.Sequence)).ToList(), paged.Select(e => (e.Id, e.Sequence)).ToList());
    }

    [TestMethod]
    public async Task AnExpiredTokenIsATypedRefusalForTheStreamAndForEmit()
    {
        await using var services = Services(Tokens.Expired());
        var client = services.GetRequiredService<KavachClient>();

        var stream = await Assert.ThrowsExactlyAsync<KavachAuthorizationException>(async () =>
        {
            await foreach (var _ in client.Stream().WithCancellation(new CancellationTokenSource(Generous).Token))
            {
            }
        });
        var emit = await Assert.ThrowsExactlyAsync<KavachAuthorizationException>(() => client.EmitAsync(new NewEvent(KavachEventTypes.Audit)));

        Assert.AreEqual(401, stream.Status);
        Assert.AreEqual(StreamErrorCodes.Unauthorized, stream.Code);
        Assert.AreEqual(401, emit.Status);
    }

    /// <summary>The client as an app registers it; the token callback hands out a reader-and-emitter token (or the given one).</summary>
    private static ServiceProvider Services(string? token = null)
    {
        var services = new ServiceCollection();
        token ??= Kavach.ServiceDefaults.Auth.KavachTokens.Issue(KavachSystem.SigningKey, "client-tests",
            [KavachScopes.Read, KavachScopes.Emit], TimeSpan.FromHours(1));
        services.AddKavachClient(options =>
        {
            options.BaseAddress = KavachSystem.StreamApi;
            options.AccessTokenProvider = _ => ValueTask.FromResult<string?>(token);
            options.HeartbeatInterval = KavachSystem.HeartbeatInterval;
        });
        return services.BuildServiceProvider();
    }
}
