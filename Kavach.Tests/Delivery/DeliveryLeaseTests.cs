using System.Collections.Frozen;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;
using Kavach.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Kavach.Tests.Delivery;

/// <summary>
/// The leases on the real PostgreSQL, two engines' statements side by side (the host's own engine is off): one holder
/// at a time, a lease that runs out moves on, and the replica that lost it can no longer move the cursor or record
/// anything — the fence that makes "one sender per destination" hold even for a replica that stalled.
/// </summary>
[TestClass]
public sealed class DeliveryLeaseTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    [TestMethod]
    public async Task ALostLeaseFencesTheOldHolderOut()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?> { ["Kavach:Delivery:Enabled"] = "false" });
        var delivery = host.Services.GetRequiredService<DeliveryDataSource>();
        var store = host.Services.GetRequiredService<DestinationStore>();
        var first = new DeliveryLeases(delivery);
        var second = new DeliveryLeases(delivery);
        var webhook = await store.CreateAsync(new NewDestination(DestinationKind.Webhook, new Uri("https://receiver.example.com/hook"), "lease test", null,
            new ReadGrant(null, new[] { $"agent-{Guid.NewGuid():N}" }.ToFrozenSet(), null), null, "tests"), CancellationToken.None);
        try
        {
            Assert.AreNotEqual(first.Owner, second.Owner);
            Assert.Contains(webhook.Id, (await first.ClaimAsync(Short, 100_000, CancellationToken.None)).Select(d => d.Id).ToList());
            Assert.DoesNotContain(webhook.Id, (await second.ClaimAsync(Short, 100_000, CancellationToken.None)).Select(d => d.Id).ToList(),
                "a held lease was claimed again");

            var start = new StreamCursorAt(webhook.CursorEpoch, webhook.Cursor);
            var moved = start with { Sequence = start.Sequence + 1 };
            Assert.IsTrue(await first.AdvanceAsync(webhook.Id, start, moved, 1, CancellationToken.None));
            Assert.IsFalse(await first.AdvanceAsync(webhook.Id, start, moved with { Sequence = moved.Sequence + 1 }, 1, CancellationToken.None),
                "moved from a cursor that is no longer there");

            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                while (!(await second.ClaimAsync(Short, 100_000, CancellationToken.None)).Any(d => d.Id == webhook.Id))
                {
                    await Task.Delay(100, timeout.Token);
                }
            }

            var further = moved with { Sequence = moved.Sequence + 1 };
            Assert.IsFalse(await first.AdvanceAsync(webhook.Id, moved, further, 1, CancellationToken.None), "the old holder moved the cursor");
            Assert.IsFalse(await first.RecordFailureAsync(webhook.Id, new FailureRun(1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow), "late", null, CancellationToken.None));
            Assert.IsNull(await first.ReadHeldAsync(webhook.Id, CancellationToken.None));
            Assert.DoesNotContain(webhook.Id, (await first.RenewAsync(Short, CancellationToken.None)).Select(d => d.Id).ToList());

            var row = (await store.GetAsync(webhook.Id, CancellationToken.None))!;
            Assert.AreEqual(moved.Sequence, row.Cursor);
            Assert.AreEqual(1, row.Delivered);
            Assert.AreEqual(0, row.Attempts);
            Assert.IsTrue(await second.AdvanceAsync(webhook.Id, moved, further, 1, CancellationToken.None));
        }
        finally
        {
            await first.ReleaseAllAsync(CancellationToken.None);
            await second.ReleaseAllAsync(CancellationToken.None);
            await store.DeleteAsync(webhook.Id, CancellationToken.None);
        }
    }

    /// <summary>Paused ones, SSF poll streams (no URL), and kinds the replica has no channel for.</summary>
    [TestMethod]
    public async Task OnlyEnabledPushedDestinationsOfAKindWithAChannelAreClaimed()
    {
        await using var host = await StreamApiHost.StartAsync(withRedis: false, new Dictionary<string, string?> { ["Kavach:Delivery:Enabled"] = "false" });
        var store = host.Services.GetRequiredService<DestinationStore>();
        var leases = new DeliveryLeases(host.Services.GetRequiredService<DeliveryDataSource>());
        var grant = ReadGrant.Everything;
        var paused = await store.CreateAsync(new NewDestination(DestinationKind.Webhook, new Uri("https://receiver.example.com/hook"), null, null, grant, null,
            "tests", State: DestinationState.Paused), CancellationToken.None);
        var polled = await store.CreateAsync(new NewDestination(DestinationKind.Ssf, null, null, null, grant, null, "tests"), CancellationToken.None);
        var pushed = await store.CreateAsync(new NewDestination(DestinationKind.Ssf, new Uri("https://receiver.example.com/ssf"), null, null, grant, null, "tests"),
            CancellationToken.None);
        try
        {
            var webhooksOnly = (await leases.ClaimAsync(Short, 100_000, CancellationToken.None, [DestinationKind.Webhook])).Select(d => d.Id).ToList();
            var any = (await leases.ClaimAsync(Short, 100_000, CancellationToken.None)).Select(d => d.Id).ToList();

            Assert.DoesNotContain(pushed.Id, webhooksOnly);
            Assert.Contains(pushed.Id, any);
            Assert.DoesNotContain(paused.Id, webhooksOnly.Concat(any).ToList());
            Assert.DoesNotContain(polled.Id, webhooksOnly.Concat(any).ToList());
        }
        finally
        {
            await leases.ReleaseAllAsync(CancellationToken.None);
            await store.DeleteAsync(paused.Id, CancellationToken.None);
            await store.DeleteAsync(polled.Id, CancellationToken.None);
            await store.DeleteAsync(pushed.Id, CancellationToken.None);
        }
    }
}
