using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Streaming;
using Kavach.UnitTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// The catch-up gate's turns: how many streams read history at once, and how long live writing holds a turn back
/// during a storm — read off the gate's own timer on a fake clock, not measured.
/// </summary>
[TestClass]
public sealed class CatchUpGateTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [TestMethod]
    public async Task AtMostTheConfiguredNumberOfStreamsCatchUpAtOnce()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var gate = Gate(services, turns: 2, new FakeTimeProvider());

        var first = await gate.WaitTurnAsync(CancellationToken.None);
        var second = await gate.WaitTurnAsync(CancellationToken.None);
        var third = gate.WaitTurnAsync(CancellationToken.None).AsTask();
        var fourth = gate.WaitTurnAsync(CancellationToken.None).AsTask();

        Assert.IsFalse(third.IsCompleted || fourth.IsCompleted, "two turns are taken");
        Assert.AreEqual(2, gate.Waiting);
        first.Dispose();
        var next = await Task.WhenAny(third, fourth).WaitAsync(Bound);
        Assert.AreEqual(1, gate.Waiting, "one turn freed, one stream through");
        second.Dispose();
        await Task.WhenAll(third, fourth).WaitAsync(Bound);
        Assert.AreEqual(0, gate.Waiting);
        (await next).Dispose();
    }

    [TestMethod]
    public async Task AWaitingStreamThatIsCancelledLeavesTheQueue()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var gate = Gate(services, turns: 1, new FakeTimeProvider());
        using var held = await gate.WaitTurnAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = gate.WaitTurnAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAsync<OperationCanceledException>(() => waiting.WaitAsync(Bound));
        Assert.AreEqual(0, gate.Waiting);
    }

    [TestMethod]
    public async Task DuringAStormLiveWritingHoldsTheNextTurnForAtMostTheLivePriorityWait()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var clock = new FakeTimeProvider();
        var timers = new TimerWatch(clock);
        var gate = Gate(services, turns: 1, timers);
        var held = await gate.WaitTurnAsync(CancellationToken.None);
        Task<CatchUpGate.Turn>[] queued = [gate.WaitTurnAsync(CancellationToken.None).AsTask(), gate.WaitTurnAsync(CancellationToken.None).AsTask()];
        using var live = gate.BeginLiveWrite();

        held.Dispose();
        Assert.AreEqual(TimeSpan.FromMilliseconds(50), await timers.Created.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        clock.Advance(TimeSpan.FromMilliseconds(49));
        Assert.IsFalse(queued.Any(t => t.IsCompleted), "live writing goes first");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var first = await Task.WhenAny(queued).WaitAsync(Bound);

        var second = queued.Single(t => t != first);
        Assert.IsFalse(second.IsCompleted, "one chunk at a time");
        (await first).Dispose();
        (await second.WaitAsync(Bound)).Dispose(); // nobody queued behind it: no wait
    }

    [TestMethod]
    public async Task TheTurnBeginsAsSoonAsLiveWritingEnds()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var clock = new FakeTimeProvider();
        var timers = new TimerWatch(clock);
        var gate = Gate(services, turns: 1, timers);
        var held = await gate.WaitTurnAsync(CancellationToken.None);
        Task<CatchUpGate.Turn>[] queued = [gate.WaitTurnAsync(CancellationToken.None).AsTask(), gate.WaitTurnAsync(CancellationToken.None).AsTask()];
        var live = gate.BeginLiveWrite();

        held.Dispose();
        await timers.Created.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.IsFalse(queued.Any(t => t.IsCompleted));
        live.Dispose();

        var first = await Task.WhenAny(queued).WaitAsync(Bound);
        (await first).Dispose();
        (await queued.Single(t => t != first).WaitAsync(Bound)).Dispose();
    }

    [TestMethod]
    public async Task AStreamResumingAloneIsNotHeldBackByLiveWriting()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var timers = new TimerWatch(new FakeTimeProvider());
        var gate = Gate(services, turns: 1, timers);
        using var live = gate.BeginLiveWrite();

        var turn = gate.WaitTurnAsync(CancellationToken.None);

        Assert.IsTrue(turn.IsCompletedSuccessfully, "no one else queues: full speed");
        turn.Result.Dispose();
        Assert.IsFalse(timers.Created.Reader.TryRead(out _), "no wait was begun");
    }

    private static CatchUpGate Gate(ServiceProvider services, int turns, TimeProvider time) =>
        new(Microsoft.Extensions.Options.Options.Create(new StreamOptions { MaxConcurrentCatchUps = turns }),
            new StreamMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), time);
}
