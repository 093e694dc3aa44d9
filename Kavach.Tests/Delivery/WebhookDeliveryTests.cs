using System.Collections.Frozen;
using System.Net.Sockets;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Events;
using Kavach.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Kavach.Tests.Delivery;

/// <summary>
/// The delivery engine end to end: extra API instances on the system's PostgreSQL and Redis push webhooks to a real
/// receiver on this machine (allow-listed: 127.0.0.0/8), which checks each signature itself. Destinations are made
/// with the store, as the admin API would; each test's events carry an agent of its own, and its webhook is granted
/// only that agent, so events of other tests pass it by.
/// </summary>
[TestClass]
public sealed class WebhookDeliveryTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(6); // renewed every 2 s: an attempt always has its whole 2 s

    private static Dictionary<string, string?> Settings(bool allowLoopback = true, TimeSpan? retryHorizon = null, TimeSpan? leaseDuration = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kavach:Delivery:LeaseDuration"] = (leaseDuration ?? LeaseDuration).ToString(),
            ["Kavach:Delivery:FirstRetry"] = "00:00:00.200",
            ["Kavach:Delivery:MaxBackoff"] = "00:00:01",
            ["Kavach:Delivery:Timeout"] = "00:00:02",
            ["Kavach:Delivery:RetryHorizon"] = (retryHorizon ?? TimeSpan.FromDays(3)).ToString(),
        };
        if (allowLoopback)
        {
            settings["Kavach:Delivery:AllowedPrivateTargets:0"] = "127.0.0.0/8";
        }

        return settings;
    }

    private static string NewAgent() => $"agent-{Guid.NewGuid():N}";

    private static async Task<List<EmittedEvent>> EmitAsync(StreamApiHost host, string agent, int count)
    {
        var drafts = Enumerable.Range(0, count)
            .Select(i => new EventDraft("audit", JsonDocument.Parse($$"""{"n":{{i}}}""").RootElement, AgentId: agent))
            .ToList();
        return [.. (await host.Module.EmitAsync(drafts)).Stored()];
    }

    /// <summary>A webhook for <paramref name="agents"/>' events from the head on, enabled only once its secret is stored.</summary>
    private static Task<Destination> CreateWebhookAsync(StreamApiHost host, Uri url, string secret, params string[] agents) =>
        CreateWebhookAsync(host, url, secret, agents, beforeEnabled: null);

    private static async Task<Destination> CreateWebhookAsync(StreamApiHost host, Uri url, string secret, string[] agents, Func<Guid, Task>? beforeEnabled)
    {
        var store = host.Services.GetRequiredService<DestinationStore>();
        var grant = new ReadGrant(null, agents.ToFrozenSet(StringComparer.Ordinal), null);
        var created = await store.CreateAsync(
            new NewDestination(DestinationKind.Webhook, url, "delivery test", null, grant, null, "tests", State: DestinationState.Paused),
            CancellationToken.None);
        await using (var insert = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "INSERT INTO kavach_webhook_secrets (destination, id, secret) VALUES ($1, $2, $3)"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = created.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = "s1" });
            insert.Parameters.Add(new NpgsqlParameter { Value = secret });
            await insert.ExecuteNonQueryAsync();
        }

        if (beforeEnabled is not null)
        {
            await beforeEnabled(created.Id);
        }

        return (await store.SetStateAsync(created.Id, DestinationState.Enabled, null, skipToHead: false, CancellationToken.None))!;
    }

    private static Task<Destination?> ReadAsync(StreamApiHost host, Guid id) =>
        host.Services.GetRequiredService<DestinationStore>().GetAsync(id, CancellationToken.None);

    private static async Task DeleteAsync(StreamApiHost host, Guid id) =>
        await host.Services.GetRequiredService<DestinationStore>().DeleteAsync(id, CancellationToken.None);

    /// <summary>Waits, bounded, until <paramref name="condition"/> holds of the destination's row; returns that row.</summary>
    private static async Task<Destination> RowWhenAsync(StreamApiHost host, Guid id, Func<Destination, bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Generous);
        while (true)
        {
            var row = await ReadAsync(host, id);
            if (row is not null && condition(row))
            {
                return row;
            }

            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"{what} did not happen within {Generous}: {row}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    private static Task<Destination> DeliveredThroughAsync(StreamApiHost host, Guid id, long sequence) =>
        RowWhenAsync(host, id, row => row.Cursor >= sequence, $"delivery through sequence {sequence}");

    private static async Task WhenAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Generous);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"{what} did not happen within {Generous}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>What the receiver accepted, each event once (a retry of an accepted one would be a duplicate: same webhook-id).</summary>
    private static List<string> AcceptedIds(WebhookReceiver receiver) => [.. receiver.Accepted.Select(r => r.Id)];

    /// <summary>
    /// Received in order, resends allowed but no event skipped: each request is the next event or one already sent (a new
    /// holder going back to the written cursor), from the first event to the last.
    /// </summary>
    private static void AssertInOrderWithResends(IReadOnlyList<EmittedEvent> emitted, IReadOnlyList<string> received)
    {
        var index = emitted.Select((e, i) => (e.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var reached = -1;
        foreach (var id in received)
        {
            Assert.IsTrue(index.TryGetValue(id, out var at), $"{id} was not emitted by this test");
            Assert.IsLessThanOrEqualTo(reached + 1, at, $"event #{reached + 1} skipped: {string.Join(",", received.Select(r => index[r]))}");
            reached = Math.Max(reached, at);
        }

        Assert.AreEqual(emitted.Count - 1, reached, "the last event was not received");
    }

    private static void AssertEachInOrder(IEnumerable<EmittedEvent> emitted, IEnumerable<string> received) =>
        CollectionAssert.AreEqual(emitted.Select(e => e.Id).ToList(), received.ToList(),
            $"expected {string.Join(",", emitted.Select(e => e.Sequence))}");

    [TestMethod]
    public async Task EveryEventArrivesOnceInOrderSignedAndAsTheStreamServesIt()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            var emitted = new List<EmittedEvent>();
            for (var batch = 0; batch < 4; batch++)
            {
                emitted.AddRange(await EmitAsync(host, agent, 5));
            }

            var row = await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);

            AssertEachInOrder(emitted, AcceptedIds(receiver));
            Assert.HasCount(emitted.Count, receiver.Received, "no request beyond one per event");
            foreach (var (received, e) in receiver.Received.Zip(emitted))
            {
                Assert.IsTrue(received.SignatureValid, $"the signature of {received.Id} does not verify");
                StringAssert.StartsWith(received.ContentType, "application/json");
                Assert.AreEqual(e.Id, received.Json.GetProperty("id").GetString());
                Assert.AreEqual(e.Sequence, received.Sequence);
                Assert.AreEqual(agent, received.AgentId);
                Assert.AreEqual(64, received.Json.GetProperty("hash").GetString()!.Length, "the chain hash, as the stream serves it");
            }

            Assert.AreEqual(emitted.Count, row.Delivered);
            Assert.AreEqual(0, row.Attempts);
            Assert.IsNotNull(row.LastSuccessAt);
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task AReceiverFailingForAWhileGetsEverythingInOrderOnceItRecovers()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var failing = 1;
        receiver.Answer = _ => Task.FromResult(Volatile.Read(ref failing) == 1 ? 500 : 204);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            var emitted = await EmitAsync(host, agent, 10);
            var failed = await RowWhenAsync(host, webhook.Id, row => row.Attempts >= 3, "three failed attempts");
            StringAssert.StartsWith(failed.LastError, "HTTP 500");
            Assert.IsNotNull(failed.FailingSince);
            Assert.AreEqual(webhook.Cursor, failed.Cursor, "the cursor moved past an event the receiver refused");
            emitted.AddRange(await EmitAsync(host, agent, 5));

            Volatile.Write(ref failing, 0);
            var row = await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);

            AssertEachInOrder(emitted, AcceptedIds(receiver));
            Assert.IsTrue(receiver.Received.Where(r => r.Answered == 500).All(r => r.Id == emitted[0].Id), "only the first event was tried while it failed");
            Assert.AreEqual(0, row.Attempts);
            Assert.IsNull(row.FailingSince);
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task AReceiverSlowerThanTheTimeoutIsTriedAgainWithTheSameWebhookId()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = 1;
        receiver.Answer = async _ =>
        {
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                await released.Task; // held past the engine's 2 s timeout, until the test saw the retry
            }

            return 200;
        };
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            var emitted = await EmitAsync(host, agent, 3);
            await WhenAsync(() => receiver.Received.Count >= 2, "a second attempt");
            released.SetResult();
            var row = await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);

            var ids = receiver.Received.Select(r => r.Id).ToList();
            Assert.AreEqual(emitted[0].Id, ids[0]);
            Assert.AreEqual(emitted[0].Id, ids[1], "the retry is the same message");
            CollectionAssert.AreEqual(emitted.Select(e => e.Id).ToList(), ids.Distinct().ToList());
            StringAssert.Contains(row.LastError, "no answer within 2 s");
        }
        finally
        {
            released.TrySetResult();
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task AReceiverThatIsDownGetsEverythingOnceItIsUp()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        var port = WebhookReceiver.FreePort();
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, new Uri($"http://127.0.0.1:{port}/hook"), secret, agent);
        try
        {
            var emitted = await EmitAsync(host, agent, 5);
            var down = await RowWhenAsync(host, webhook.Id, row => row.Attempts >= 2, "failed attempts on a closed port");
            StringAssert.StartsWith(down.LastError, "connection failed");
            emitted.AddRange(await EmitAsync(host, agent, 5));

            await using var receiver = await WebhookReceiver.StartAsync([secret], port);
            await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);

            AssertEachInOrder(emitted, AcceptedIds(receiver));
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task APrivateTargetIsNeverContactedWithoutTheAllowList()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings(allowLoopback: false));
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            await EmitAsync(host, agent, 2);
            var refused = await RowWhenAsync(host, webhook.Id, row => row.Attempts >= 2, "refused attempts");

            StringAssert.Contains(refused.LastError, "127.0.0.1 is a loopback address");
            StringAssert.Contains(refused.LastError, "Kavach:Delivery:AllowedPrivateTargets");
            Assert.AreEqual(webhook.Cursor, refused.Cursor);
            Assert.IsEmpty(receiver.Received);
            Assert.IsEmpty(receiver.Elsewhere);
            Assert.IsNotNull(host.Services.GetRequiredService<TargetPolicy>().Check(receiver.Url), "the APIs would refuse it too");
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task ARedirectIsAFailureAndIsNotFollowed()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        receiver.Answer = _ => Task.FromResult(307);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            await EmitAsync(host, agent, 1);
            var redirected = await RowWhenAsync(host, webhook.Id, row => row.Attempts >= 2, "failed attempts at a redirect");

            StringAssert.Contains(redirected.LastError, "redirects are not followed");
            Assert.AreEqual(webhook.Cursor, redirected.Cursor);
            Assert.IsEmpty(receiver.Elsewhere, "the redirect was followed");
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task AnAgentOutsideTheGrantIsNeverSent()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var granted = NewAgent();
        var other = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, granted);
        try
        {
            var sent = new List<EmittedEvent>();
            for (var round = 0; round < 3; round++)
            {
                sent.AddRange(await EmitAsync(host, granted, 2));
                await EmitAsync(host, other, 2);
            }

            var last = (await EmitAsync(host, other, 1))[^1];
            var row = await DeliveredThroughAsync(host, webhook.Id, last.Sequence);

            AssertEachInOrder(sent, AcceptedIds(receiver));
            Assert.IsTrue(receiver.Received.All(r => r.AgentId == granted));
            Assert.AreEqual(sent.Count, row.Delivered);
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task AtTheRetryHorizonTheWebhookIsPausedWithAnAlertAndResumingReplaysFromItsCursor()
    {
        using var instruments = new DeliveryInstruments();
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings(retryHorizon: TimeSpan.FromSeconds(2)));
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var failing = 1;
        receiver.Answer = _ => Task.FromResult(Volatile.Read(ref failing) == 1 ? 500 : 200);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            var emitted = await EmitAsync(host, agent, 3);
            var paused = await RowWhenAsync(host, webhook.Id, row => row.State == DestinationState.Paused, "the pause at the horizon");

            StringAssert.StartsWith(paused.StateReason, "retry horizon reached");
            StringAssert.Contains(paused.StateReason, "HTTP 500");
            Assert.AreEqual(webhook.Cursor, paused.Cursor);
            // The row is paused first; the sender then releases the lease and the engine lets the destination go.
            var engine = host.Services.GetRequiredService<DeliveryEngine>();
            await WhenAsync(() => !engine.HeldDestinations.Contains(webhook.Id), "the paused webhook let go by the engine");
            Assert.IsGreaterThanOrEqualTo(1L, instruments.Sum("kavach.delivery.paused_at_horizon"));
            Assert.IsGreaterThanOrEqualTo(2L, instruments.Sum("kavach.delivery.failures"));
            var triedWhilePausing = receiver.Received.Count;

            Volatile.Write(ref failing, 0);
            emitted.AddRange(await EmitAsync(host, agent, 2));
            await host.Services.GetRequiredService<DestinationStore>().SetStateAsync(webhook.Id, DestinationState.Enabled, null, skipToHead: false, CancellationToken.None);
            await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);

            AssertEachInOrder(emitted, AcceptedIds(receiver));
            Assert.IsTrue(receiver.Received.Take(triedWhilePausing).All(r => r.Id == emitted[0].Id));
            Assert.IsGreaterThanOrEqualTo(emitted.Count, instruments.Sum("kavach.delivery.delivered"));
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task TwoReplicasSendEachEventOnceAndTheSurvivorTakesOver()
    {
        var first = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var second = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var hosts = new List<StreamApiHost> { first, second };
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(first, receiver.Url, secret, agent);
        try
        {
            var emitted = new List<EmittedEvent>();
            foreach (var host in hosts)
            {
                emitted.AddRange(await EmitAsync(host, agent, 5));
            }

            await DeliveredThroughAsync(first, webhook.Id, emitted[^1].Sequence);
            AssertEachInOrder(emitted, receiver.Received.Select(r => r.Id));

            // The holder stops while a delivery is in flight: the other replica takes the lease and sends it again.
            var holder = hosts.Single(h => h.Services.GetRequiredService<DeliveryEngine>().HeldDestinations.Contains(webhook.Id));
            var survivor = hosts.Single(h => h != holder);
            var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            receiver.Answer = async _ =>
            {
                if (inFlight.TrySetResult())
                {
                    await hold.Task;
                    return 503; // the stopped holder's request: not accepted
                }

                return 200;
            };
            var more = await EmitAsync(survivor, agent, 5);
            await inFlight.Task.WaitAsync(Generous);
            var interrupted = receiver.Received.Last().Id;
            await holder.DisposeAsync();
            hosts.Remove(holder);
            hold.SetResult();

            await DeliveredThroughAsync(survivor, webhook.Id, more[^1].Sequence);
            Assert.IsTrue(survivor.Services.GetRequiredService<DeliveryEngine>().HeldDestinations.Contains(webhook.Id));
            emitted.AddRange(more);
            AssertEachInOrder(emitted, AcceptedIds(receiver));
            Assert.AreEqual(more[0].Id, interrupted);
            Assert.AreEqual(2, receiver.Received.Count(r => r.Id == interrupted), "the interrupted message is sent again, under the same webhook-id");
        }
        finally
        {
            await DeleteAsync(hosts[0], webhook.Id);
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [TestMethod]
    public async Task AReplicaCutOffMidDeliveryLosesTheLeaseAndAnotherSendsOnFromTheCursor()
    {
        var lease = TimeSpan.FromSeconds(3);
        await using var proxy = await PostgresProxy.StartAsync();
        var stalled = await StreamApiHost.StartAsync(withRedis: true, new Dictionary<string, string?>(Settings(leaseDuration: lease))
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
        });
        StreamApiHost? survivor = null;
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(stalled, receiver.Url, secret, agent);
        try
        {
            var engine = stalled.Services.GetRequiredService<DeliveryEngine>();
            await WhenAsync(() => engine.HeldDestinations.Contains(webhook.Id), "the first replica's lease");
            survivor = await StreamApiHost.StartAsync(withRedis: true, Settings(leaseDuration: lease));
            var emitted = await EmitAsync(survivor, agent, 5);
            await DeliveredThroughAsync(survivor, webhook.Id, emitted[^1].Sequence);

            // The holder's next request is in flight when it loses PostgreSQL: it cannot renew or record the answer.
            var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            receiver.Answer = async _ =>
            {
                if (inFlight.TrySetResult())
                {
                    await hold.Task;
                }

                return 200;
            };
            var more = await EmitAsync(survivor, agent, 5);
            await inFlight.Task.WaitAsync(Generous);
            proxy.Refuse();
            hold.SetResult();

            var row = await DeliveredThroughAsync(survivor, webhook.Id, more[^1].Sequence);
            var survivorEngine = survivor.Services.GetRequiredService<DeliveryEngine>();
            Assert.IsTrue(survivorEngine.HeldDestinations.Contains(webhook.Id));
            emitted.AddRange(more);
            var ids = receiver.Received.Select(r => r.Id).ToList();
            AssertInOrderWithResends(emitted, ids);
            Assert.IsGreaterThanOrEqualTo(2, ids.Count(id => id == more[0].Id), "the answer the cut-off replica could not record is sent again");
            var moreIds = more.Select(e => e.Id).ToHashSet();
            Assert.IsTrue(ids.GroupBy(id => id).Where(g => g.Count() > 1).All(g => moreIds.Contains(g.Key)),
                "only what the cut-off replica sent after its last written cursor is repeated");
            Assert.AreEqual(emitted[^1].Sequence, row.Cursor);

            proxy.Resume();
            await WhenAsync(() => !engine.HeldDestinations.Contains(webhook.Id), "the cut-off replica letting go once it is back");
            var after = await EmitAsync(survivor, agent, 2);
            await DeliveredThroughAsync(survivor, webhook.Id, after[^1].Sequence);
            Assert.IsTrue(receiver.Received.Skip(ids.Count).Select(r => r.Id).SequenceEqual(after.Select(e => e.Id)));
        }
        finally
        {
            proxy.Resume();
            await DeleteAsync(survivor ?? stalled, webhook.Id);
            await stalled.DisposeAsync();
            if (survivor is not null)
            {
                await survivor.DisposeAsync();
            }
        }
    }

    [TestMethod]
    public async Task AReplicaLostBetweenCursorWritesHasItsUnwrittenDeliveriesSentAgainUnderTheSameIds()
    {
        var lease = TimeSpan.FromSeconds(3);
        await using var proxy = await PostgresProxy.StartAsync();
        var stalled = await StreamApiHost.StartAsync(withRedis: true, new Dictionary<string, string?>(Settings(leaseDuration: lease))
        {
            ["ConnectionStrings:kavachdb"] = proxy.ConnectionString,
            ["Kavach:Delivery:CursorWriteEvery"] = "10000",
            ["Kavach:Delivery:CursorWriteAfter"] = "00:00:00.900", // less than the 1 s pause after a database error
        });
        StreamApiHost? survivor = null;
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(stalled, receiver.Url, secret, agent);
        try
        {
            var engine = stalled.Services.GetRequiredService<DeliveryEngine>();
            await WhenAsync(() => engine.HeldDestinations.Contains(webhook.Id), "the first replica's lease");
            survivor = await StreamApiHost.StartAsync(withRedis: true, Settings(leaseDuration: lease));

            // Ten are accepted at once, then the holder's eleventh request is in flight when it loses PostgreSQL.
            const int accepted = 10;
            var requests = 0;
            var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            receiver.Answer = async _ =>
            {
                if (Interlocked.Increment(ref requests) == accepted + 1)
                {
                    inFlight.TrySetResult();
                    await hold.Task;
                    return 503;
                }

                return 200;
            };
            var emitted = await EmitAsync(survivor, agent, 15);
            await inFlight.Task.WaitAsync(Generous);
            proxy.Refuse();
            var written = (await ReadAsync(survivor, webhook.Id))!.Cursor;
            hold.SetResult();
            Assert.IsLessThan(emitted[accepted - 1].Sequence, written, "precondition: accepted deliveries not yet written when the holder was cut off");

            var row = await DeliveredThroughAsync(survivor, webhook.Id, emitted[^1].Sequence);
            Assert.IsTrue(survivor.Services.GetRequiredService<DeliveryEngine>().HeldDestinations.Contains(webhook.Id));
            var ids = receiver.Received.Select(r => r.Id).ToList();
            CollectionAssert.AreEqual(emitted.Take(accepted + 1).Select(e => e.Id).ToList(), ids.Take(accepted + 1).ToList(), "what the first holder sent");
            CollectionAssert.AreEqual(emitted.Where(e => e.Sequence > written).Select(e => e.Id).ToList(), ids.Skip(accepted + 1).ToList(),
                "the successor sends on from the written cursor, in order, nothing skipped");
            foreach (var resent in emitted.Take(accepted).Where(e => e.Sequence > written))
            {
                Assert.AreEqual(2, ids.Count(id => id == resent.Id), $"{resent.Id}: accepted but not written, so sent once more under the same webhook-id");
            }

            AssertInOrderWithResends(emitted, ids);
            Assert.AreEqual(emitted[^1].Sequence, row.Cursor);
        }
        finally
        {
            proxy.Resume();
            await DeleteAsync(survivor ?? stalled, webhook.Id);
            await stalled.DisposeAsync();
            if (survivor is not null)
            {
                await survivor.DisposeAsync();
            }
        }
    }

    [TestMethod]
    public async Task ManyFastDeliveriesTakeFewCursorWrites()
    {
        using var instruments = new DeliveryInstruments();
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            var writesBefore = instruments.Sum("kavach.delivery.cursor_writes");
            var deliveredBefore = instruments.Sum("kavach.delivery.delivered");
            var emitted = await EmitAsync(host, agent, 600);
            var row = await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);

            AssertEachInOrder(emitted, AcceptedIds(receiver));
            Assert.AreEqual(emitted.Count, row.Delivered, "the count of each batch is added with its write");
            Assert.IsNotNull(row.LastSuccessAt);
            Assert.AreEqual(emitted.Count, instruments.Sum("kavach.delivery.delivered") - deliveredBefore);
            var writes = instruments.Sum("kavach.delivery.cursor_writes") - writesBefore;
            Assert.IsGreaterThanOrEqualTo(3, writes, "at least every 256 deliveries");
            Assert.IsLessThan(emitted.Count / 4, writes, $"{writes} cursor writes for {emitted.Count} deliveries");
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task OutboxMessagesGoAheadOfTheLogAndAreRemovedOnceAccepted()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        async Task EnqueueAsync(Guid destination, string messageId)
        {
            await using var insert = db.CreateCommand("INSERT INTO kavach_destination_outbox (destination, message_id, kind, payload) VALUES ($1, $2, 'test', $3)");
            insert.Parameters.Add(new NpgsqlParameter { Value = destination });
            insert.Parameters.Add(new NpgsqlParameter { Value = messageId });
            insert.Parameters.Add(new NpgsqlParameter { Value = $$"""{"message":"{{messageId}}"}""" });
            await insert.ExecuteNonQueryAsync();
        }

        var emitted = new List<EmittedEvent>();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, [agent], async id =>
        {
            emitted.AddRange(await EmitAsync(host, agent, 2)); // committed before the webhook is enabled: after its cursor
            await EnqueueAsync(id, "outbox-1");
            await EnqueueAsync(id, "outbox-2");
        });
        try
        {
            await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);
            await EnqueueAsync(webhook.Id, "outbox-3");
            await WhenAsync(() => receiver.Received.Count == 5, "the outbox message added later");

            var received = receiver.Received.ToList();
            CollectionAssert.AreEqual(new[] { "outbox-1", "outbox-2", emitted[0].Id, emitted[1].Id, "outbox-3" }, received.Select(r => r.Id).ToList());
            Assert.AreEqual("""{"message":"outbox-1"}""", received[0].Body);
            Assert.IsTrue(received.All(r => r.SignatureValid));
            await using var count = db.CreateCommand("SELECT count(*) FROM kavach_destination_outbox WHERE destination = $1");
            count.Parameters.Add(new NpgsqlParameter { Value = webhook.Id });
            using var timeout = new CancellationTokenSource(Generous);
            while ((long)(await count.ExecuteScalarAsync())! != 0)
            {
                await Task.Delay(50, timeout.Token);
            }
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }

    [TestMethod]
    public async Task ARewindWhileHeldSendsAgainFromTheNewCursor()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: true, Settings());
        var secret = WebhookReceiver.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync([secret]);
        var agent = NewAgent();
        var webhook = await CreateWebhookAsync(host, receiver.Url, secret, agent);
        try
        {
            var emitted = await EmitAsync(host, agent, 5);
            await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);
            Assert.IsTrue(host.Services.GetRequiredService<DeliveryEngine>().HeldDestinations.Contains(webhook.Id));

            await host.Services.GetRequiredService<DestinationStore>().RewindAsync(webhook.Id, emitted[2].Sequence, CancellationToken.None);
            await WhenAsync(() => receiver.Received.Count >= 8, "the rewound events sent again");
            await DeliveredThroughAsync(host, webhook.Id, emitted[^1].Sequence);

            var expected = emitted.Select(e => e.Id).Concat(emitted.Skip(2).Select(e => e.Id)).ToList();
            CollectionAssert.AreEqual(expected, receiver.Received.Select(r => r.Id).ToList());
        }
        finally
        {
            await DeleteAsync(host, webhook.Id);
        }
    }
}
