using System.Text.Json;
using Kavach.FaultTests.Harness;
using Kavach.FaultTests.Workload;

namespace Kavach.FaultTests.Scenarios;

/// <summary>
/// Someone who can PUBLISH on Redis sends fan-out messages of their own: a plausible event with the next sequence,
/// one far ahead, and some garbage. Redis is a transport, PostgreSQL the record: followers must receive only
/// events PostgreSQL holds, and the stream must carry on with the real ones. A forged message may poison a
/// replica's state, so the scenario has a cluster of its own.
/// </summary>
[TestClass]
public sealed class ForgedFanOutTests : FaultScenarioTest
{
    private const long FarAhead = 1_000_000;

    private static FaultCluster _cluster = null!;

    [ClassInitialize]
    public static async Task StartCluster(TestContext context)
    {
        _cluster = await FaultCluster.StartAsync("forged-fan-out");
        context.WriteLine($"Cluster started in {_cluster.StartupTime.TotalSeconds:0.0} s");
    }

    [ClassCleanup]
    public static async Task StopCluster()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ForgedFanOutMessagesNeverReachFollowersAndRealEventsKeepFlowing()
    {
        await RunScenarioAsync(_cluster, "forged fan-out", null, async run =>
        {
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var channels = await _cluster.Redis.SubscribedChannelsAsync("kavach*");

            // Emitters hold still, so "the next sequence" is exactly the one the next real event will get.
            await run.Emitters.PauseAsync(TimeSpan.FromSeconds(30));
            var head = await _cluster.HeadAsync();
            var fault = run.BeginFault($"forged messages published to {string.Join(", ", channels)} at head {head}");
            var forgedNext = await PublishToAllAsync(channels, Forged(run.Tag + "-forged-next", head + 1));

            // A forgery must NOT reach a follower, and a replica leaves no sign of a message it ignored: a follower
            // would have had it within this second.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var garbage = 0L;
            foreach (var message in (string[])["not json", """{"committedAt":"2026-01-01T00:00:00Z"}""", """{"event":{"sequence":"x"}}"""])
            {
                garbage += await PublishToAllAsync(channels, message);
            }

            var forgedFar = await PublishToAllAsync(channels, Forged(run.Tag + "-forged-far", head + FarAhead));
            await Task.Delay(TimeSpan.FromSeconds(1)); // as above: a forgery that is not delivered leaves no sign
            run.Emitters.Resume();
            run.EndFault(fault, "forgeries published; emitters resumed");
            var afterForgery = run.Clock.Now;
            await run.LoadAsync(TimeSpan.FromSeconds(6));
            var figures = await run.FinishAsync();

            figures.Extra("channels", string.Join(" ", channels));
            figures.Extra("forged next-sequence receivers", forgedNext);
            figures.Extra("forged far-ahead receivers", forgedFar);
            figures.Extra("garbage receivers", garbage);
            figures.Extra("followers that took a forgery", run.Followers.Count(f => f.Deliveries.Any(d => d.Id.Contains("-forged-", StringComparison.Ordinal))));
            figures.Extra("real events per follower after forgery", string.Join("/", run.Followers.Select(f =>
                f.Deliveries.Count(d => d.Received >= afterForgery && !d.Id.Contains("-forged-", StringComparison.Ordinal)))));
            figures.Extra("latency p50/p99 after forgery", ProcessFaultTests.FormatLatency(run.Latency(run.Followers, afterForgery)));
            if (channels.Count == 0)
            {
                figures.Violation("no kavach* channel had subscribers (PUBSUB CHANNELS): the forgery reached no replica, so this run proves nothing");
            }

            return figures;
        });
    }

    /// <summary>A fan-out message as a replica publishes it: commit time and the event's JSON, here with an invented event.</summary>
    private static string Forged(string id, long sequence) => JsonSerializer.Serialize(new
    {
        committedAt = DateTimeOffset.UtcNow,
        @event = new
        {
            id,
            type = "agent.revoked",
            timestamp = DateTimeOffset.UtcNow,
            data = new { reason = "forged-by-fault-suite" },
            agentId = "agent-7",
            userId = "mallory",
            sequence,
        },
    });

    private static async Task<long> PublishToAllAsync(IReadOnlyList<string> channels, string message)
    {
        long receivers = 0;
        foreach (var channel in channels)
        {
            receivers += await _cluster.Redis.PublishAsync(channel, message);
        }

        return receivers;
    }
}
