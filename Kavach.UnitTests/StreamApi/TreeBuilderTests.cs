using System.Text;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Integrity;
using Kavach.StreamApi.Integrity.Merkle;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.UnitTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// The tree builder fed as the hub feeds it, over an in-memory store (<see cref="FakeTreeStore"/>): its roots and proofs
/// against the RFC's definitions over the same events, what it stores, how it starts over from storage, epochs that
/// replace history, a tree that begins after existing events, and the stored tree or the events disagreeing with it.
/// </summary>
[TestClass]
public sealed class TreeBuilderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [TestMethod]
    public async Task ItsRootsAndProofsAreTheRfcsOverTheDeliveredEvents()
    {
        var store = new FakeTreeStore();
        await using var tree = await Testbed.StartAsync(store);
        var events = Emit(store, 1, 700);
        tree.Builder.Restarted(1, 0);
        Deliver(tree.Builder, events);
        var view = await tree.AtAsync(700);

        var data = Served(events);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(data), view.Root);
        foreach (var size in new long[] { 1, 255, 256, 257, 512, 613, 700 })
        {
            CollectionAssert.AreEqual(NaiveMerkle.Mth(data[..(int)size]), await tree.Builder.RootAtAsync(size, default), $"root at {size}");
        }

        Assert.IsNull(await tree.Builder.RootAtAsync(701, default), "not built that far");
        foreach (var (sequence, size) in new (long, long)[] { (1, 700), (256, 300), (257, 700), (700, 700), (5, 5) })
        {
            var proof = (await tree.Proofs.InclusionAsync(sequence, size, null, default)).Proof!;
            Assert.IsTrue(MerkleVerifier.VerifyInclusion(sequence - 1, size, Convert.FromHexString(proof.LeafHash), Hashes(proof.Hashes),
                NaiveMerkle.Mth(data[..(int)size])), $"inclusion of {sequence} in {size}");
            CollectionAssert.AreEqual(NaiveMerkle.Path(sequence - 1, data[..(int)size]).Select(Convert.ToHexStringLower).ToList(), proof.Hashes.ToList());
        }

        foreach (var (from, to) in new (long, long)[] { (1, 700), (255, 256), (256, 700), (300, 613), (613, 700), (700, 700) })
        {
            var proof = (await tree.Proofs.ConsistencyAsync(from, to, null, default)).Proof!;
            Assert.IsTrue(MerkleVerifier.VerifyConsistency(from, to, Hashes(proof.Hashes), NaiveMerkle.Mth(data[..(int)from]),
                NaiveMerkle.Mth(data[..(int)to])), $"consistency {from} → {to}");
        }
    }

    [TestMethod]
    public async Task FullBlocksAreStoredWithTheSubtreesTheyComplete()
    {
        var store = new FakeTreeStore();
        await using var tree = await Testbed.StartAsync(store);
        var events = Emit(store, 1, 1100);
        tree.Builder.Restarted(1, 0);
        Deliver(tree.Builder, events);
        await tree.AtAsync(1100);
        var rows = await Testbed.UntilAsync(() => store.RowsNow(), rows => rows.Count == 4);

        var leaves = Served(events).Select(d => MerkleHash.Leaf(d)).ToArray();
        Assert.IsTrue(rows.All(r => r.IsFull && r.Epoch == 1));
        CollectionAssert.AreEqual(new[] { 1, 2, 1, 3 }, rows.OrderBy(r => r.Index).Select(r => r.Nodes.Length / 32).ToArray(),
            "block k completes levels 8 up to 8 + its trailing ones");
        var last = rows.Single(r => r.Index == 3);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served(events)[768..1024]), last.Nodes[..32]);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served(events)[..1024]), last.Nodes[64..96], "level 10: the first 1,024 leaves");
        CollectionAssert.AreEqual(leaves[768..1024].SelectMany(l => l).ToArray(), last.Leaves);
    }

    [TestMethod]
    public async Task ARestartedReplicaStartsFromStorageWithoutReadingEveryEvent()
    {
        var store = new FakeTreeStore();
        var events = Emit(store, 1, 1300);
        await using (var first = await Testbed.StartAsync(store))
        {
            first.Builder.Restarted(1, 0);
            Deliver(first.Builder, events);
            await first.AtAsync(1300);
            await Testbed.UntilAsync(() => store.RowsNow().Count, count => count == 5);
        }

        store.LeavesRead = 0;
        await using var second = await Testbed.StartAsync(store);
        second.Builder.Restarted(1, 1300); // the hub starts at the head
        var view = await second.AtAsync(1300);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served(events)), view.Root);
        Assert.AreEqual(1300 - 1280, store.LeavesRead, "only the events of the block being filled");

        var more = Emit(store, 1301, 1400);
        Deliver(second.Builder, more);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served([.. events, .. more])), (await second.AtAsync(1400)).Root);
    }

    [TestMethod]
    public async Task EventsItWasNotHandedAreReadFromTheDatabase()
    {
        var store = new FakeTreeStore();
        await using var tree = await Testbed.StartAsync(store);
        var events = Emit(store, 1, 40);
        tree.Builder.Restarted(1, 0);
        Deliver(tree.Builder, events[..10]);
        Deliver(tree.Builder, events[30..]); // 11–30 were committed by another replica, and their hint was lost

        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served(events)), (await tree.AtAsync(40)).Root);
        Assert.AreEqual(20, store.LeavesRead);
    }

    [TestMethod]
    public async Task AnEpochThatReplacesHistoryIsFollowedAndTheReplacedPartIsNeverServed()
    {
        var store = new FakeTreeStore();
        await using var tree = await Testbed.StartAsync(store);
        var lost = Emit(store, 1, 600);
        tree.Builder.Restarted(1, 0);
        Deliver(tree.Builder, lost);
        await tree.AtAsync(600);
        await Testbed.UntilAsync(() => store.RowsNow().Count, count => count == 2);
        var oldRoot280 = NaiveMerkle.Mth(Served(lost)[..280]);
        var oldRoot500 = NaiveMerkle.Mth(Served(lost)[..500]);

        // A restore took the database back to 300; epoch 2 goes on from there with other events.
        store.Epochs.Add(new EpochStart(2, 300, 300));
        store.Epoch = 2;
        var kept = lost[..300];
        var replacing = Emit(store, 301, 900, "new");
        tree.Builder.Restarted(2, 300);
        Deliver(tree.Builder, replacing, epoch: 2);
        var view = await tree.AtAsync(900);

        var history = Served([.. kept, .. replacing]);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(history), view.Root);
        var stored = await Testbed.UntilAsync(() => store.RowsNow(), rows => rows.Count(r => r.Epoch == 2) == 2);
        Assert.AreEqual(2, stored.Count(r => r.Epoch == 1), "what epoch 1 stored stays as it was");

        var shared = await tree.Proofs.ConsistencyAsync(280, 900, 1, default);
        Assert.IsTrue(MerkleVerifier.VerifyConsistency(280, 900, Hashes(shared.Proof!.Hashes), oldRoot280, view.Root), "280 is in both histories");
        var replaced = await tree.Proofs.ConsistencyAsync(500, 900, 1, default);
        Assert.AreEqual(410, replaced.Refusal?.Status, "epoch 1's tree of 500 was replaced after 300");
        var unproven = await tree.Proofs.ConsistencyAsync(500, 900, null, default);
        Assert.IsFalse(MerkleVerifier.VerifyConsistency(500, 900, Hashes(unproven.Proof!.Hashes), oldRoot500, view.Root),
            "without the epoch, the proof is about the current history: it cannot join the old one");
        Assert.AreEqual(404, (await tree.Proofs.ConsistencyAsync(500, 900, 3, default)).Refusal?.Status, "an epoch the stream never had");

        // A replica that starts now starts from what holds of the stored tree in epoch 2.
        await using var restarted = await Testbed.StartAsync(store);
        restarted.Builder.Restarted(2, 900);
        CollectionAssert.AreEqual(view.Root, (await restarted.AtAsync(900)).Root);
    }

    [TestMethod]
    public async Task ATreeThatBeginsAfterExistingEventsHasAbsentLeavesBeforeIt()
    {
        var store = new FakeTreeStore(startsAfter: 1000);
        await using var tree = await Testbed.StartAsync(store);
        var events = Emit(store, 1001, 1300);
        tree.Builder.Restarted(1, 1000);
        Deliver(tree.Builder, events);
        var view = await tree.AtAsync(1300);

        var data = Enumerable.Repeat(Array.Empty<byte>(), 1000).Concat(Served(events)).ToArray();
        CollectionAssert.AreEqual(NaiveMerkle.Mth(data), view.Root);
        Assert.AreEqual(0, store.LeavesRead, "nothing from before the tree is read");
        Assert.AreEqual(410, (await tree.Proofs.InclusionAsync(1000, 1300, null, default)).Refusal?.Status);
        var proof = (await tree.Proofs.InclusionAsync(1001, 1300, null, default)).Proof!;
        Assert.IsTrue(MerkleVerifier.VerifyInclusion(1000, 1300, Convert.FromHexString(proof.LeafHash), Hashes(proof.Hashes), view.Root));
        var rows = await Testbed.UntilAsync(() => store.RowsNow(), rows => rows.Count == 2);
        CollectionAssert.AreEquivalent(new long[] { 3, 4 }, rows.Select(r => r.Index).ToList(),
            "block 3 (leaves 768–1023) holds the first events, after absent leaves; no block before it is stored");
    }

    [TestMethod]
    public async Task AStoredBlockWithOtherHashesIsAnAlarmNotAnOverwrite()
    {
        var store = new FakeTreeStore();
        var events = Emit(store, 1, 256);
        var forged = new TreeBlock(0, 1, 256, new byte[256 * 32], new byte[32]);
        store.Rows.Add(forged);
        await using var tree = await Testbed.StartAsync(store);
        tree.Builder.Restarted(1, 0);
        Deliver(tree.Builder, events);

        var view = await tree.AtAsync(256);
        await Testbed.UntilAsync(() => tree.Contradictions("block"), n => n == 1);
        Assert.AreSame(forged, store.RowsNow().Single(), "never overwritten");
        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served(events)), view.Root, "the tree holds what this replica delivered");
    }

    [TestMethod]
    public async Task AStoredTreeRewrittenBelowASignedHeadIsRefusedOnRestart()
    {
        var store = new FakeTreeStore();
        var events = Emit(store, 1, 600);
        await using (var first = await Testbed.StartAsync(store))
        {
            first.Builder.Restarted(1, 0);
            Deliver(first.Builder, events);
            await first.AtAsync(600);
            store.SignedHeads.Add(new SignedTreeHead(1, 520, 520, (await first.Builder.RootAtAsync(520, default))!));
            await Testbed.UntilAsync(() => store.RowsNow().Count, count => count == 2);
        }

        // A database writer rewrites block 1 consistently (leaves and nodes) with another event in it.
        var block = store.RowsNow().Single(r => r.Index == 1);
        var leaves = (byte[])block.Leaves!.Clone();
        MerkleHash.Leaf("forged"u8, leaves.AsSpan(10 * 32, 32));
        var forgedBlock = new TreeBlock(1, 1, 256, leaves, []);
        var forgedRoot = MerkleHash.Node(forgedBlock.Within(new TreeNode(7, 2)), forgedBlock.Within(new TreeNode(7, 3)));
        var rootRow0 = store.RowsNow().Single(r => r.Index == 0).Nodes[..32];
        store.Replace(block, new TreeBlock(1, 1, 256, leaves, [.. forgedRoot, .. MerkleHash.Node(rootRow0, forgedRoot)]));

        await using var second = await Testbed.StartAsync(store);
        second.Builder.Restarted(1, 600);
        await Testbed.UntilAsync(() => second.Builder.Status, status => status == TreeStatus.Failed);
        StringAssert.Contains(second.Builder.Failure, "520");
        Assert.IsNull(await second.Builder.RootAtAsync(600, default));
        Assert.AreEqual(503, (await second.Proofs.ConsistencyAsync(520, 600, null, default)).Refusal?.Status);
    }

    [TestMethod]
    public async Task AMissingEventStopsTheTree()
    {
        var store = new FakeTreeStore();
        Emit(store, 1, 100);
        store.Events.TryRemove(50, out _);
        await using var tree = await Testbed.StartAsync(store);
        tree.Builder.Restarted(1, 100);

        await Testbed.UntilAsync(() => tree.Builder.Status, status => status == TreeStatus.Failed);
        StringAssert.Contains(tree.Builder.Failure, "sequence 50");
        Assert.AreEqual(1, tree.Contradictions("missing_events"));
    }

    [TestMethod]
    public async Task ATreeStoppedByAMissingEventGoesOnOnceTheEventIsBack()
    {
        var store = new FakeTreeStore();
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var events = Emit(store, 1, 100);
        store.Events.TryRemove(50, out var removed);
        await using var tree = await Testbed.StartAsync(store, clock);
        tree.Builder.Restarted(1, 100);
        await Testbed.UntilAsync(() => tree.Builder.Status, status => status == TreeStatus.Failed);

        // Back, as after rows deleted for a moment: the next event, once the retry is due, takes the tree on.
        store.Events[50] = removed!;
        var next = Emit(store, 101, 101);
        Deliver(tree.Builder, next);
        Assert.AreEqual(TreeStatus.Failed, tree.Builder.Status, "not before the retry is due");

        clock.Advance(TimeSpan.FromSeconds(5));
        var later = Emit(store, 102, 102);
        Deliver(tree.Builder, later);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served([.. events, .. next, .. later])), (await tree.AtAsync(102)).Root);
    }

    [TestMethod]
    public async Task AMissingEventThatComesBackAlteredStopsTheTreeForGood()
    {
        var store = new FakeTreeStore();
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var events = Emit(store, 1, 100);
        await using var tree = await Testbed.StartAsync(store, clock);
        tree.Builder.Restarted(1, 0);
        Deliver(tree.Builder, events);
        await tree.AtAsync(100);
        store.SignedHeads.Add(new SignedTreeHead(1, 100, 100, (await tree.Builder.RootAtAsync(100, default))!));

        // A database writer deletes event 50 while a hub restarts delivery, then puts back other content under it.
        store.Events.TryRemove(50, out var original);
        tree.Builder.Restarted(1, 100);
        await Testbed.UntilAsync(() => tree.Builder.Failure ?? "", failure => failure.Contains("sequence 50", StringComparison.Ordinal));
        store.Events[50] = original! with { Body = original.Body.Replace("\"n\":50", "\"n\":5000", StringComparison.Ordinal) };

        clock.Advance(TimeSpan.FromSeconds(5));
        Deliver(tree.Builder, Emit(store, 101, 101));
        // The retry passes through Recovering; what it ends in is the verdict (a tree that went on would time out here).
        var (status, _) = await Testbed.UntilAsync(() => (tree.Builder.Status, Failure: tree.Builder.Failure ?? ""),
            state => state.Status != TreeStatus.Recovering && !state.Failure.Contains("sequence 50", StringComparison.Ordinal));
        Assert.AreEqual(TreeStatus.Failed, status, "what came back contradicts the signed head");
        StringAssert.Contains(tree.Builder.Failure, "100");
        Assert.IsNull(await tree.Builder.RootAtAsync(100, default));
    }

    [TestMethod]
    public async Task TheBlockBeingFilledIsStoredBeforeItsEventsCouldBePruned()
    {
        var store = new FakeTreeStore();
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var events = Emit(store, 1, 300);
        await using (var tree = await Testbed.StartAsync(store, clock, retention: TimeSpan.FromMinutes(1)))
        {
            tree.Builder.Restarted(1, 0);
            Deliver(tree.Builder, events);
            await tree.AtAsync(300);
            await Testbed.UntilAsync(() => store.RowsNow().Count, count => count == 1);

            // A quarter of the retention later, the 44 leaves of block 1 are stored too.
            clock.Advance(TimeSpan.FromSeconds(16));
            var partial = await Testbed.UntilAsync(() => store.RowsNow().SingleOrDefault(r => r.Index == 1), row => row is not null);
            Assert.AreEqual(44, partial!.LeafCount);
            Assert.AreEqual(0, partial.Nodes.Length);
        }

        foreach (var sequence in Enumerable.Range(1, 300))
        {
            store.Events.TryRemove(sequence, out _); // retention removed them
        }

        await using var restarted = await Testbed.StartAsync(store);
        restarted.Builder.Restarted(1, 300);
        CollectionAssert.AreEqual(NaiveMerkle.Mth(Served(events)), (await restarted.AtAsync(300)).Root);
        Assert.AreEqual(0, store.LeavesRead);
    }

    [TestMethod]
    public async Task NoTreeHeadForAnotherEpochThanTheDatabasesNorForARequestBeyondTheTree()
    {
        var store = new FakeTreeStore();
        await using var tree = await Testbed.StartAsync(store);
        var events = Emit(store, 1, 10);
        tree.Builder.Restarted(1, 0);
        Deliver(tree.Builder, events);
        await tree.AtAsync(10);
        Assert.IsNotNull(await tree.Builder.RootAtAsync(10, default));

        store.Epoch = 2; // another replica began epoch 2; this hub has not noticed yet
        Assert.IsNull(await tree.Builder.RootAtAsync(10, default));
        Assert.AreEqual(404, (await tree.Proofs.InclusionAsync(3, 11, null, default)).Refusal?.Status);
    }

    private static List<StoredEvent> Emit(FakeTreeStore store, long from, long to, string label = "event")
    {
        var events = new List<StoredEvent>();
        for (var sequence = from; sequence <= to; sequence++)
        {
            var body = $$"""{"id":"{{label}}-{{sequence}}","type":"audit","timestamp":"2026-12-07T10:00:00+00:00","data":{"n":{{sequence}}""" + "}}";
            var stored = new StoredEvent(sequence, $"{label}-{sequence}", "audit", null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, body);
            store.Events[sequence] = stored;
            events.Add(stored);
        }

        return events;
    }

    private static void Deliver(TreeBuilder builder, IEnumerable<StoredEvent> events, long epoch = 1)
    {
        foreach (var e in events)
        {
            builder.Delivered(epoch, e);
        }
    }

    private static byte[][] Served(IEnumerable<StoredEvent> events) => [.. events.Select(e => ChainHash.ServedJson(e.Body, e.Sequence))];

    private static List<byte[]> Hashes(IEnumerable<string> hex) => [.. hex.Select(Convert.FromHexString)];

    private sealed class Testbed : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Kind, long Count)> _contradictions = new();

        private Testbed(ServiceProvider services, TreeBuilder builder, TreeProofs proofs)
        {
            _services = services;
            Builder = builder;
            Proofs = proofs;
            var factory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "kavach.tree.contradictions")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
                _contradictions.Enqueue(((string)tags[0].Value!, value)));
            _listener.Start();
        }

        public TreeBuilder Builder { get; }

        public TreeProofs Proofs { get; }

        public static async Task<Testbed> StartAsync(FakeTreeStore store, TimeProvider? time = null, TimeSpan? retention = null)
        {
            var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var reader = new TreeReader(store);
            var builder = new TreeBuilder(store, new TreeRecovery(store, reader, NullLogger<TreeRecovery>.Instance), reader,
                new TreeMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
                Microsoft.Extensions.Options.Options.Create(new StreamOptions { Retention = retention ?? TimeSpan.FromDays(7) }),
                time ?? TimeProvider.System, NullLogger<TreeBuilder>.Instance);
            var testbed = new Testbed(services, builder, new TreeProofs(builder, reader));
            await builder.StartAsync(CancellationToken.None);
            return testbed;
        }

        /// <summary>The tree once it holds <paramref name="size"/> leaves (bounded).</summary>
        public async Task<TreeView> AtAsync(long size)
        {
            var view = await Builder.ViewAsync(size, Bound, CancellationToken.None).WaitAsync(Bound);
            Assert.AreEqual(size, view?.Size, $"the tree did not reach {size} leaves (status {Builder.Status}: {Builder.Failure})");
            return view!;
        }

        public long Contradictions(string kind) => _contradictions.Where(c => c.Kind == kind).Sum(c => c.Count);

        public static async Task<T> UntilAsync<T>(Func<T> read, Func<T, bool> done)
        {
            var deadline = DateTime.UtcNow + Bound;
            var value = read();
            while (!done(value) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
                value = read();
            }

            Assert.IsTrue(done(value), $"not within {Bound}: {value}");
            return value;
        }

        public async ValueTask DisposeAsync()
        {
            await Builder.StopAsync(CancellationToken.None);
            Builder.Dispose();
            _listener.Dispose();
            await _services.DisposeAsync();
        }
    }
}
