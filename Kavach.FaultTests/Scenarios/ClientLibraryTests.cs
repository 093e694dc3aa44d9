using Kavach.Client;
using Kavach.Contracts;
using Kavach.FaultTests.Harness;
using Kavach.FaultTests.Workload;
using Kavach.ServiceDefaults.Auth;
using Resync = Kavach.Contracts.Resync;

namespace Kavach.FaultTests.Scenarios;

/// <summary>
/// Kavach.Client against the real system — PostgreSQL, Redis and two API replicas as processes — through a
/// round-robin "proxy": across a replica killed with SIGKILL, connections dropped under it, tokens that expire
/// mid-stream and a database that went back in time (a new epoch), the caller receives exactly the events
/// PostgreSQL committed, in order, each once; a refused token ends the enumeration with a typed exception.
/// </summary>
[TestClass]
public sealed class ClientLibraryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static FaultCluster _cluster = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartCluster(TestContext context)
    {
        _cluster = await FaultCluster.StartAsync("client-library");
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

    /// <summary>Ends the test's readers, so that none reads on into the next test.</summary>
    private readonly CancellationTokenSource _stop = new();

    [TestInitialize]
    public Task EnsureWholeCluster() => _cluster.EnsureHealthyAsync();

    [TestCleanup]
    public void StopReaders()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task FollowsTheStreamAcrossReplicaKillsAndDeliversEachCommittedEventOnceInOrder()
    {
        var (collector, start) = await FollowFromHeadAsync(_ => ValueTask.FromResult<string?>(_cluster.ReadToken), _stop.Token);
        using var emitting = new CancellationTokenSource();
        var emitter = new LibraryEmitter(EmitClient(), "client-kill", TimeSpan.FromMilliseconds(20), emitting.Token);

        foreach (var replica in _cluster.Replicas)
        {
            var before = collector.Events.Count;
            await collector.WaitUntilAsync(c => c.Events.Count >= before + 50, Patience, $"50 more events before killing {replica.Name}");
            await replica.KillAsync();
            TestContext.WriteLine($"{replica.Name} killed (kill -9) at {collector.Stream.Cursor}");
            var atKill = collector.Events.Count;
            await collector.WaitUntilAsync(c => c.Events.Count >= atKill + 25, Patience, $"25 more events while {replica.Name} is down");
            await replica.StartAsync();
        }

        var head = await StopEmittingAsync(emitter, emitting, collector);
        AssertExactly(await _cluster.RowsAsync(start, head), collector.Events);
        Assert.IsGreaterThanOrEqualTo(1, collector.Stream.Reconnects, "killing both replicas in turn must have cut the stream at least once");
        TestContext.WriteLine($"{collector.Events.Count} events, {collector.Stream.Reconnects} reconnects, emitter: {emitter.Acked} acked, {emitter.Failed} given up");
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ResumesAfterForcedDisconnectsWithoutLosingOrRepeatingAnEvent()
    {
        var (collector, start) = await FollowFromHeadAsync(_ => ValueTask.FromResult<string?>(_cluster.ReadToken), _stop.Token);
        using var emitting = new CancellationTokenSource();
        var emitter = new LibraryEmitter(EmitClient(), "client-drop", TimeSpan.FromMilliseconds(10), emitting.Token);

        for (var drop = 1; drop <= 5; drop++)
        {
            var before = collector.Events.Count;
            await collector.WaitUntilAsync(c => c.Events.Count >= before + 20, Patience, $"20 more events before drop {drop}");
            collector.Stream.Reconnect();
        }

        var head = await StopEmittingAsync(emitter, emitting, collector);
        AssertExactly(await _cluster.RowsAsync(start, head), collector.Events);
        Assert.IsGreaterThanOrEqualTo(5, collector.Stream.Reconnects);
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task RenewsAnExpiringTokenOnEveryReconnectAndLosesNothing()
    {
        var issued = 0;
        ValueTask<string?> ShortLived(CancellationToken _)
        {
            Interlocked.Increment(ref issued);
            return ValueTask.FromResult<string?>(KavachTokens.Issue(_cluster.SigningKey, "short-lived", [KavachScopes.Read], TimeSpan.FromSeconds(4)));
        }

        var (collector, start) = await FollowFromHeadAsync(ShortLived, _stop.Token);
        using var emitting = new CancellationTokenSource();
        var emitter = new LibraryEmitter(EmitClient(), "client-expiry", TimeSpan.FromMilliseconds(20), emitting.Token);

        await collector.WaitUntilAsync(c => ExpiredErrors(c) >= 3, Patience, "three TOKEN_EXPIRED ends");
        var head = await StopEmittingAsync(emitter, emitting, collector);
        AssertExactly(await _cluster.RowsAsync(start, head), collector.Events);
        Assert.IsGreaterThanOrEqualTo(4, Volatile.Read(ref issued), "a fresh token for the first connection and each one after an expiry");
        Assert.AreEqual(0, collector.Items.OfType<StreamError>().Count(e => e.Code != StreamErrorCodes.TokenExpired),
            "no other error than the expiries");
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task FollowsTheServerIntoANewEpochWhenTheDatabaseGoesBackInTime()
    {
        var (collector, start) = await FollowFromHeadAsync(_ => ValueTask.FromResult<string?>(_cluster.ReadToken), _stop.Token);
        var emit = EmitClient();
        var postgres = _cluster.Postgres;

        var kept = await EmitAsync(emit, "epoch-kept", 40);
        await collector.WaitUntilAsync(c => c.Events.Count >= 40, Patience, "the first 40 events");
        await postgres.StopFastAsync();
        var snapshot = await postgres.TakeSnapshotAsync("client-library-epoch");
        await postgres.StartAsync();

        // Delivered, then lost with the database: the restored snapshot never had them.
        var lost = await EmitAsync(emit, "epoch-lost", 30);
        await collector.WaitUntilAsync(c => c.Events.Count >= 70, Patience, "the 30 events the restore will undo");
        await postgres.StopImmediateAsync();
        await postgres.RestoreSnapshotAsync(snapshot);
        await postgres.StartAsync();

        // More than were lost, so the new history takes every reassigned sequence and goes past the old head.
        var after = await EmitAsync(emit, "epoch-new", 60);
        var head = await _cluster.HeadAsync();
        await collector.WaitUntilAsync(c => c.Stream.Position is { Epoch: > StreamPosition.FirstEpoch } p && p.Sequence >= head,
            Patience, $"the new epoch's head {head}");

        var items = collector.Items;
        var resync = items.OfType<Resync>().SingleOrDefault(r => r.Reason == ResyncReasons.EpochChanged);
        Assert.IsNotNull(resync, "the client passes the server's resync on: " + string.Join(", ", items.OfType<StreamSignal>()));
        Assert.AreEqual(start + kept.Count, resync.ResumeAfter, "the histories share everything up to the snapshot");
        var split = items.ToList().IndexOf(resync);
        var beforeResync = items.Take(split).OfType<KavachEvent>().ToList();
        var afterResync = items.Skip(split + 1).OfType<KavachEvent>().ToList();

        CollectionAssert.AreEqual(kept.Concat(lost).Select(e => (e.Sequence, e.Id)).ToList(),
            beforeResync.Select(e => (e.Sequence, e.Id)).ToList(), "the old history, as it was committed and acknowledged");
        AssertExactly(await _cluster.RowsAsync(resync.ResumeAfter!.Value, head), afterResync);
        Assert.IsTrue(afterResync.All(e => e.Position?.Epoch == resync.Epoch), "every later event is in the new epoch");
        CollectionAssert.IsSubsetOf(after.Select(e => e.Id).ToList(), afterResync.Select(e => e.Id).ToList());
    }

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task ARefusedTokenEndsTheEnumerationWithATypedException()
    {
        var forged = KavachTokens.Issue("not-the-cluster-signing-key-" + new string('x', 32), "forger", [KavachScopes.Read], TimeSpan.FromHours(1));
        var refused = new StreamCollector(ReaderClient(_ => ValueTask.FromResult<string?>(forged)).Stream(), _stop.Token);
        var error = await Assert.ThrowsExactlyAsync<KavachAuthorizationException>(() => refused.Ended.WaitAsync(Patience));
        Assert.AreEqual(401, error.Status);
        Assert.AreEqual(StreamErrorCodes.Unauthorized, error.Code);

        // Mid-stream: the first token expires; the callback then has only a bad one.
        var calls = 0;
        ValueTask<string?> ThenForged(CancellationToken _) => ValueTask.FromResult<string?>(Interlocked.Increment(ref calls) == 1
            ? KavachTokens.Issue(_cluster.SigningKey, "soon-refused", [KavachScopes.Read], TimeSpan.FromSeconds(3))
            : forged);
        var (collector, start) = await FollowFromHeadAsync(ThenForged, _stop.Token);
        var emitted = await EmitAsync(EmitClient(), "before-refusal", 10);
        error = await Assert.ThrowsExactlyAsync<KavachAuthorizationException>(() => collector.Ended.WaitAsync(Patience));
        Assert.AreEqual(401, error.Status);
        CollectionAssert.AreEqual(emitted.Select(e => e.Id).ToList(), collector.Events.Select(e => e.Id).ToList());
        Assert.AreEqual(StreamErrorCodes.TokenExpired, collector.Items.OfType<StreamError>().Single().Code);
    }

    /// <summary>samples/tail.cs, built and run as its own process against one replica, which is killed and restarted under it.</summary>
    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task TheTailSamplePrintsEachEventOnceAcrossAReplicaRestart()
    {
        var sample = await TailSample.BuildAsync(Path.Combine(SuiteSettings.WorkRoot, "tail-sample"), _cluster.LogDirectory);
        var replica = _cluster.Replicas[0];
        var tail = sample.Start(replica.BaseAddress, _cluster.ReadToken);
        try
        {
            await WaitForAsync(() => tail.Output.Contains("-- connected", StringComparison.Ordinal), "the sample to connect", tail);
            var start = await _cluster.HeadAsync();
            var emit = EmitClient();
            await EmitAsync(emit, "tail-before", 20);
            await WaitForAsync(() => tail.Events.Count >= 20, "the first 20 events printed", tail);

            await replica.KillAsync();
            await EmitAsync(emit, "tail-during", 20);
            await replica.StartAsync();
            await EmitAsync(emit, "tail-after", 20);
            await WaitForAsync(() => tail.Events.Count >= 60, "all 60 events printed", tail);

            // A last event: the stream is in order, so whatever would come before it (a duplicate, a stray) is printed
            // by the time it is.
            var fence = (await EmitAsync(emit, "tail-fence", 1))[0].Sequence;
            await WaitForAsync(() => tail.Events.Any(e => e.Sequence == fence), $"the fence #{fence} printed", tail);
            var committed = await _cluster.RowsAsync(start, fence);
            CollectionAssert.AreEqual(committed.Select(r => (r.Key, r.Value)).ToList(), tail.Events.ToList(), tail.Output);
            StringAssert.Contains(tail.Output, "-- disconnected", "the restart cut the sample's stream");
        }
        finally
        {
            await tail.StopAsync();
        }

        StringAssert.Contains(tail.Output, "-- stopped; resume with KAVACH_CURSOR=", "SIGTERM (handled as Ctrl+C) ends it cleanly with its cursor");
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, TailSample.Running tail)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, $"Not {what} within {Patience}:\n{tail.Output}");
            await Task.Delay(100);
        }
    }

    private static async Task<(StreamCollector Collector, long Start)> FollowFromHeadAsync(
        Func<CancellationToken, ValueTask<string?>> tokens, CancellationToken stop)
    {
        var collector = new StreamCollector(ReaderClient(tokens).Stream(), stop);
        await collector.WaitUntilAsync(c => c.Count<Connected>() > 0, Patience, "connected");

        // Live from here: nothing else emits, so every row after this head is the test's own.
        return (collector, await _cluster.HeadAsync());
    }

    private static async Task<long> StopEmittingAsync(LibraryEmitter emitter, CancellationTokenSource emitting, StreamCollector collector)
    {
        await emitting.CancelAsync();
        await emitter.Running.WaitAsync(Patience);

        // A last event of the test's own: the stream is in order, so whatever would come before it (a duplicate, a
        // stray) has been delivered once it has.
        var fence = (await EmitAsync(EmitClient(), "fence", 1))[0].Sequence;
        await collector.WaitUntilAsync(c => c.Stream.Position?.Sequence >= fence, Patience, $"the fence #{fence}");
        return fence;
    }

    private static async Task<IReadOnlyList<EmittedEvent>> EmitAsync(KavachClient client, string agentId, int count)
    {
        var emitted = new List<EmittedEvent>();
        for (var i = 0; i < count; i += 10)
        {
            emitted.AddRange(await client.EmitBatchAsync(
                [.. Enumerable.Range(i, Math.Min(10, count - i)).Select(n => new NewEvent(KavachEventTypes.Audit, new { n }, agentId))]));
        }

        return emitted;
    }

    /// <summary>The caller got exactly the committed rows: same sequences, same ids, same order, nothing more.</summary>
    private static void AssertExactly(SortedDictionary<long, string> committed, IReadOnlyList<KavachEvent> delivered)
    {
        var expected = committed.Select(r => (r.Key, r.Value)).ToList();
        var actual = delivered.Select(e => (e.Sequence, e.Id)).ToList();
        var firstDifference = Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(i => expected[i] != actual[i], -1);
        if (!expected.SequenceEqual(actual))
        {
            Assert.Fail($"committed {expected.Count} events ({expected.FirstOrDefault()}…{expected.LastOrDefault()}), delivered {actual.Count} " +
            $"({actual.FirstOrDefault()}…{actual.LastOrDefault()}); first difference at index {firstDifference}: " +
                $"committed {(firstDifference >= 0 ? expected[firstDifference] : default)}, delivered {(firstDifference >= 0 ? actual[firstDifference] : default)}");
        }
    }

    private static int ExpiredErrors(StreamCollector collector) =>
        collector.Items.OfType<StreamError>().Count(e => e.Code == StreamErrorCodes.TokenExpired);

    private static KavachClient ReaderClient(Func<CancellationToken, ValueTask<string?>> tokens) => new(
        new HttpClient(new RoundRobinHandler([.. _cluster.Replicas.Select(r => r.BaseAddress)])) { Timeout = Timeout.InfiniteTimeSpan },
        new KavachClientOptions
        {
            BaseAddress = RoundRobinHandler.Placeholder,
            AccessTokenProvider = tokens,
            HeartbeatInterval = TimeSpan.Parse(FaultCluster.SuiteStreamSettings["Kavach__Stream__HeartbeatInterval"], System.Globalization.CultureInfo.InvariantCulture),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(200),
            ReconnectMaxDelay = TimeSpan.FromSeconds(2),
        });

    private static KavachClient EmitClient() => new(
        new HttpClient(new RoundRobinHandler([.. _cluster.Replicas.Select(r => r.BaseAddress)])) { Timeout = Timeout.InfiniteTimeSpan },
        new KavachClientOptions
        {
            BaseAddress = RoundRobinHandler.Placeholder,
            AccessTokenProvider = _ => ValueTask.FromResult<string?>(_cluster.EmitToken),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(200),
            ReconnectMaxDelay = TimeSpan.FromSeconds(2),
            RequestTimeout = TimeSpan.FromSeconds(10),
            EmitAttempts = 15,
        });
}
