using System.Collections.Concurrent;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.Persistence;
using Kavach.UnitTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// Group commit over a store whose every commit the test answers (<see cref="FakeCommitStore"/>): which emits share a
/// commit, how big a group gets, what each caller is answered when PostgreSQL refuses, fails or leaves the outcome
/// unknown, and that what was committed goes to fan-out once, in sequence order.
/// </summary>
[TestClass]
public sealed class EventCommitterTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly Emitter Agent = new("agent:a");

    [TestMethod]
    public async Task EmitsQueuedWhileOneCommitsBecomeOneGroup()
    {
        await using var committer = await Testbed.StartAsync();
        var first = committer.Append(1);
        var blocking = await committer.Store.NextAsync(Bound);
        var queued = new[] { committer.Append(2), committer.Append(1), committer.Append(3) };

        blocking.Commit();
        var group = await committer.Store.NextAsync(Bound);
        CollectionAssert.AreEqual(new[] { 2, 1, 3 }, group.Sizes, "the three queued emits, in order, in one commit");
        group.Commit();

        Assert.AreEqual(1, (await first.WaitAsync(Bound)).Emitted.Single().Sequence);
        var answers = await Task.WhenAll(queued).WaitAsync(Bound);
        CollectionAssert.AreEqual(new long[] { 2, 3, 4, 5, 6, 7 }, answers.SelectMany(a => a.Emitted).Select(e => e.Sequence).ToArray());
        CollectionAssert.AreEqual(new[] { "1", "2-7" }, committer.FannedOut(), "fan-out once per group, in sequence order");
    }

    [TestMethod]
    public async Task AGroupStopsAtMaxGroupEventsAndWhatDoesNotFitLeadsTheNext()
    {
        await using var committer = await Testbed.StartAsync();
        _ = committer.Append(1);
        var blocking = await committer.Store.NextAsync(Bound);
        var queued = new[] { committer.Append(3000), committer.Append(2000), committer.Append(1000), committer.Append(EventCommitter.MaxGroupEvents + 1) };

        blocking.Commit();
        var sizes = new List<int[]>();
        for (var i = 0; i < 3; i++)
        {
            var group = await committer.Store.NextAsync(Bound);
            sizes.Add(group.Sizes);
            group.Commit();
        }

        await Task.WhenAll(queued).WaitAsync(Bound);
        Assert.AreEqual("3000 | 2000,1000 | 4097", string.Join(" | ", sizes.Select(s => string.Join(",", s))),
            "3000 + 2000 would pass 4096; an emit bigger than a group goes alone");
    }

    [TestMethod]
    public async Task AUniqueViolationIsRetriedOnceAndThenAnswered()
    {
        await using var committer = await Testbed.StartAsync();
        var emit = committer.Append(2);

        (await committer.Store.NextAsync(Bound)).Fail(new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation));
        (await committer.Store.NextAsync(Bound)).Commit();
        Assert.AreEqual(2, (await emit.WaitAsync(Bound)).Emitted.Count);

        var again = committer.Append(1);
        var violation = new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation);
        (await committer.Store.NextAsync(Bound)).Fail(violation);
        (await committer.Store.NextAsync(Bound)).Fail(violation);
        Assert.AreSame(violation, await Assert.ThrowsAsync<PostgresException>(() => again.WaitAsync(Bound)), "retried once, not forever");
    }

    [TestMethod]
    public async Task AValuePostgreSqlRefusesFailsOnlyTheEmitThatCarriedIt()
    {
        await using var committer = await Testbed.StartAsync();
        _ = committer.Append(1);
        var blocking = await committer.Store.NextAsync(Bound);
        var good = committer.Append(1, "good");
        var bad = committer.Append(1, "bad");
        var alsoGood = committer.Append(1, "also-good");
        blocking.Commit();

        var refusal = new PostgresException("invalid input syntax", "ERROR", "ERROR", "22P02");
        var whole = await committer.Store.NextAsync(Bound);
        Assert.AreEqual(3, whole.Group.Count);
        whole.Fail(refusal);
        for (var i = 0; i < 3; i++)
        {
            var one = await committer.Store.NextAsync(Bound);
            Assert.AreEqual(1, one.Group.Count, "one by one");
            if (one.Group[0].Events[0].Id.StartsWith("bad", StringComparison.Ordinal))
            {
                one.Fail(refusal);
            }
            else
            {
                one.Commit();
            }
        }

        Assert.AreSame(refusal, await Assert.ThrowsAsync<PostgresException>(() => bad.WaitAsync(Bound)));
        Assert.AreEqual(2, (await good.WaitAsync(Bound)).Emitted.Single().Sequence);
        Assert.AreEqual(3, (await alsoGood.WaitAsync(Bound)).Emitted.Single().Sequence);
        CollectionAssert.AreEqual(new[] { "1", "2", "3" }, committer.FannedOut());
    }

    [TestMethod]
    public async Task AFailedCommitAnswersEveryCallerWithItsException()
    {
        await using var committer = await Testbed.StartAsync();
        _ = committer.Append(1);
        var blocking = await committer.Store.NextAsync(Bound);
        var emits = new[] { committer.Append(1), committer.Append(2) };
        blocking.Commit();

        var down = new NpgsqlException("connection refused");
        (await committer.Store.NextAsync(Bound)).Fail(down);

        foreach (var emit in emits)
        {
            Assert.AreSame(down, await Assert.ThrowsAsync<NpgsqlException>(() => emit.WaitAsync(Bound)));
        }

        CollectionAssert.AreEqual(new[] { "1" }, committer.FannedOut(), "nothing of the failed group");
    }

    [TestMethod]
    public async Task AnAmbiguousCommitIsLookedUpAndWhatItStoredGoesToFanOut()
    {
        await using var committer = await Testbed.StartAsync();
        _ = committer.Append(1);
        var blocking = await committer.Store.NextAsync(Bound);
        var mine = committer.Append(2, "mine");
        var theirs = committer.Append(1, "taken");
        blocking.Commit();

        var group = await committer.Store.NextAsync(Bound);
        var stored = group.Group[0].Events.Select((e, i) => (FakeCommitStore.Stored(10 + i, e), (string?)Agent.Id)).ToList();
        stored.Add((FakeCommitStore.Stored(5, group.Group[1].Events[0]), "agent:other"));
        committer.Store.Find = (ids, _) => Task.FromResult(stored.Where(s => ids.Contains(s.Item1.Id)).ToList());
        group.Fail(Ambiguous(group));

        CollectionAssert.AreEqual(new long[] { 10, 11 }, (await mine.WaitAsync(Bound)).Emitted.Select(e => e.Sequence).ToArray());
        CollectionAssert.AreEqual(new[] { "taken-0" }, (await theirs.WaitAsync(Bound)).Conflicts.ToArray(), "another emitter's id");
        CollectionAssert.AreEqual(new[] { "1", "10-11" }, committer.FannedOut(), "what this commit stored, once");
    }

    [TestMethod]
    public async Task AnAmbiguousCommitFoundNotStoredSaysSo()
    {
        await using var committer = await Testbed.StartAsync();
        var emit = committer.Append(2);
        var group = await committer.Store.NextAsync(Bound);
        group.Fail(Ambiguous(group));

        var notStored = await Assert.ThrowsAsync<CommitNotStoredException>(() => emit.WaitAsync(Bound));
        CollectionAssert.AreEqual(group.Group[0].Events.Select(e => e.Id).ToArray(), notStored.Ids.ToArray());
        Assert.IsEmpty(committer.FannedOut());
    }

    [TestMethod]
    public async Task AnAmbiguousCommitStaysUnknownWhenTheLookUpDoesNotAnswerInTime()
    {
        var clock = new FakeTimeProvider();
        var timers = new TimerWatch(clock);
        await using var committer = await Testbed.StartAsync(timers);
        committer.Store.Find = async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return [];
        };
        var emit = committer.Append(1);
        var group = await committer.Store.NextAsync(Bound);
        group.Fail(Ambiguous(group));

        Assert.AreEqual(TimeSpan.FromSeconds(6), await timers.Created.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        Assert.IsFalse(emit.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(6));

        var unknown = await Assert.ThrowsAsync<AmbiguousCommitException>(() => emit.WaitAsync(Bound));
        CollectionAssert.AreEqual(group.Group[0].Events.Select(e => e.Id).ToArray(), unknown.Ids.ToArray());
        Assert.IsEmpty(committer.FannedOut());
    }

    private static AmbiguousCommitException Ambiguous(FakeCommitStore.GroupCommit group) =>
        new([.. group.Group.SelectMany(b => b.Events).Select(e => e.Id)], new NpgsqlException("connection reset during COMMIT"));

    /// <summary>A started committer over a <see cref="FakeCommitStore"/>, with what it handed to fan-out.</summary>
    private sealed class Testbed : IAsyncDisposable, ICommitObserver
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly ConcurrentQueue<(long Epoch, IReadOnlyList<StoredEvent> Events)> _fannedOut = new();
        private int _emits;

        private Testbed(TimeProvider time)
        {
            Committer = new EventCommitter(Store, this, new StreamMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
                time, NullLogger<EventCommitter>.Instance);
        }

        public FakeCommitStore Store { get; } = new();

        public EventCommitter Committer { get; }

        public static async Task<Testbed> StartAsync(TimeProvider? time = null)
        {
            var testbed = new Testbed(time ?? new FakeTimeProvider());
            await testbed.Committer.StartAsync(CancellationToken.None);
            return testbed;
        }

        /// <summary>An emit of <paramref name="count"/> new events (ids <c>prefix-0</c>, …).</summary>
        public Task<AppendResult> Append(int count, string? prefix = null)
        {
            prefix ??= $"emit{Interlocked.Increment(ref _emits)}";
            var events = Enumerable.Range(0, count).Select(i => Event($"{prefix}-{i}")).ToList();
            return Committer.AppendAsync(events, Agent, new StreamPosition(1, 0));
        }

        /// <summary>Each hand-over to fan-out as its sequences ("3" or "2-7"), checking each is in order and gap-free.</summary>
        public List<string> FannedOut() => [.. _fannedOut.Select(f =>
        {
            var sequences = f.Events.Select(e => e.Sequence).ToList();
            CollectionAssert.AreEqual(Enumerable.Range((int)sequences[0], sequences.Count).Select(s => (long)s).ToList(), sequences);
            return sequences.Count == 1 ? $"{sequences[0]}" : $"{sequences[0]}-{sequences[^1]}";
        })];

        public void Committed(long epoch, IReadOnlyList<StoredEvent> events) => _fannedOut.Enqueue((epoch, events));

        public async ValueTask DisposeAsync()
        {
            await Committer.StopAsync(CancellationToken.None);
            Committer.Dispose();
            await _services.DisposeAsync();
        }

        private static ValidatedEvent Event(string id)
        {
            var body = StoredEvent.BodyOf(id, "audit", DateTimeOffset.UnixEpoch, JsonDocument.Parse("{}").RootElement, null, null);
            return new ValidatedEvent(id, "audit", DateTimeOffset.UnixEpoch, null, null, body);
        }
    }
}
