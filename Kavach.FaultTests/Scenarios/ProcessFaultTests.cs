using System.Diagnostics;
using Kavach.FaultTests.Harness;
using Kavach.FaultTests.Workload;

namespace Kavach.FaultTests.Scenarios;

/// <summary>
/// Processes dying and coming back under load — a replica (SIGKILL, SIGTERM), PostgreSQL, Redis, Redis's pub/sub
/// clients. Each fault heals, so the scenarios share one cluster; each starts by making it whole again.
/// </summary>
[TestClass]
public sealed class ProcessFaultTests : FaultScenarioTest
{
    private static FaultCluster _cluster = null!;

    [ClassInitialize]
    public static async Task StartCluster(TestContext context)
    {
        _cluster = await FaultCluster.StartAsync("process-faults");
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
    public async Task ReplicaKilledUnderLoadLosesNoAcknowledgedEventAndFollowersResumeGapFree()
    {
        await RunScenarioAsync(_cluster, "replica SIGKILL", null, async run =>
        {
            var victim = _cluster.Replicas[0];
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var fault = run.BeginFault($"SIGKILL {victim.Name} (PID {victim.Pid})");
            await victim.KillAsync();
            await run.LoadAsync(TimeSpan.FromSeconds(4));
            run.Note($"restarting {victim.Name}");
            var restart = await victim.StartAsync();
            run.EndFault(fault, $"{victim.Name} healthy again");
            await run.LoadAsync(TimeSpan.FromSeconds(4));
            var figures = await run.FinishAsync();
            figures.Extra("restart to healthy", restart);
            var (affected, moved) = FailOvers(run, victim.Index, fault);
            figures.Extra("followers failed over", $"{moved.Count}/{affected.Count}");
            figures.Extra("slowest failover", moved.Count > 0 ? moved.Max() : null);
            return figures;
        });
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ReplicaStoppedWithSigtermUnderLoadHandsItsFollowersToTheOtherReplica()
    {
        await RunScenarioAsync(_cluster, "replica SIGTERM", null, async run =>
        {
            var victim = _cluster.Replicas[^1];
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var fault = run.BeginFault($"SIGTERM {victim.Name} (PID {victim.Pid})");
            var shutdown = await victim.TerminateAsync(TimeSpan.FromSeconds(40));
            var exitCode = victim.ExitCode;
            run.Note($"{victim.Name} exited ({exitCode}) after {shutdown.TotalSeconds:0.00} s");
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var restart = await victim.StartAsync();
            run.EndFault(fault, $"{victim.Name} healthy again");
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var figures = await run.FinishAsync();
            figures.Extra("shutdown", shutdown);
            figures.Extra("exit code", exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?");
            figures.Extra("restart to healthy", restart);
            figures.Extra("emits cut in flight", run.Ledger.All.Count(r =>
                r.Kind == RequestKind.Emit && r.Replica == victim.Index && r.Status is null && r.Start < fault.Start && r.End >= fault.Start));

            // Its followers must resume on another replica while it is down, not wait for it to come back.
            var (affected, moved) = FailOvers(run, victim.Index, fault);
            foreach (var follower in affected.Where(f => MovedAt(f, victim.Index, fault) is null))
            {
                figures.Violation($"{follower.Name} was on {victim.Name} at SIGTERM and did not resume on another replica while it was down");
            }

            figures.Extra("followers moved", $"{moved.Count}/{affected.Count}");
            figures.Extra("slowest move", moved.Count > 0 ? moved.Max() : null);
            return figures;
        });
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task PostgresImmediateStopUnderLoadLosesNoAcknowledgedEventAndAnswers503UntilItIsBack()
    {
        await RunScenarioAsync(_cluster, "PostgreSQL immediate stop", null, async run =>
        {
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var fault = run.BeginFault("PostgreSQL stop -m immediate (SIGQUIT)");
            await _cluster.Postgres.StopImmediateAsync();
            await run.LoadAsync(TimeSpan.FromSeconds(5));
            var started = Stopwatch.StartNew();
            await _cluster.Postgres.StartAsync();
            run.EndFault(fault, "PostgreSQL accepting connections again (after crash recovery)");
            var start = started.Elapsed;
            await run.LoadAsync(TimeSpan.FromSeconds(5));
            var figures = await run.FinishAsync();
            figures.Extra("restart incl. crash recovery", start);
            figures.Extra("first ack after restart", FirstAckAfter(run, fault.End!.Value));
            return figures;
        });
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task RedisDownUnderLoadDelaysButNeverLosesEvents()
    {
        await RunScenarioAsync(_cluster, "Redis down", null, async run =>
        {
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var fault = run.BeginFault("SIGKILL redis-server");
            await _cluster.Redis.KillAsync();
            await run.LoadAsync(TimeSpan.FromSeconds(5));
            await _cluster.Redis.StartAsync();
            run.EndFault(fault, "redis-server back on its port");
            var resubscribed = await TimeUntilAsync(async () =>
                await _cluster.Redis.SubscriberCountAsync("kavach:events") >= _cluster.Replicas.Count, TimeSpan.FromSeconds(30));
            run.Note(resubscribed is null ? "replicas did not resubscribe in 30 s" : "every replica resubscribed");
            await run.LoadAsync(TimeSpan.FromSeconds(4));
            var figures = await run.FinishAsync();
            figures.Extra("replicas resubscribed after", resubscribed);
            figures.Extra("latency p99 while down", $"{run.Latency(run.Followers, fault.Start, fault.End).P99:0} ms");
            return figures;
        });
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task FanOutMessagesLostToKilledSubscribersAreFilledFromPostgres()
    {
        await RunScenarioAsync(_cluster, "lost fan-out", null, async run =>
        {
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var quietEnd = run.Clock.Now;
            var fault = run.BeginFault("CLIENT KILL TYPE pubsub, every 1.5 s");
            long killed = 0;
            const int Kills = 5;
            for (var i = 0; i < Kills; i++)
            {
                killed += await _cluster.Redis.KillPubSubClientsAsync();
                await Task.Delay(TimeSpan.FromSeconds(1.5)); // the fault's pace under load, like LoadAsync: nothing is waited for
            }

            run.EndFault(fault, "kills over");
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var figures = await run.FinishAsync();
            figures.Extra("kills", Kills);
            figures.Extra("pub/sub clients killed", killed);
            figures.Extra("latency p50/p99 before", FormatLatency(run.Latency(run.Followers, sentUntil: quietEnd)));
            figures.Extra("latency p50/p99 during kills", FormatLatency(run.Latency(run.Followers, fault.Start, fault.End)));
            return figures;
        });
    }

    internal static string FormatLatency((double P50, double P99, int Count) latency) => $"{latency.P50:0}/{latency.P99:0} ms";

    /// <summary>
    /// The followers that were reading from the replica when the fault began, and for those that resumed on another
    /// replica while it was down, how long after the fault began their events flowed again.
    /// </summary>
    private static (List<Follower> Affected, List<TimeSpan> Moved) FailOvers(ScenarioRun run, int replica, FaultWindows.Window fault)
    {
        var affected = run.Followers.Where(f => f.Connections.Any(c =>
            c.Replica == replica && c.Status == 200 && c.Start < fault.Start && (c.End is null || c.End >= fault.Start))).ToList();
        var moved = affected.Select(f => MovedAt(f, replica, fault)).OfType<long>().Select(at => ScenarioClock.Between(fault.Start, at)).ToList();
        return (affected, moved);
    }

    /// <summary>When the follower's first connection to another replica opened after the fault began (and it got events there before the fault ended).</summary>
    private static long? MovedAt(Follower follower, int replica, FaultWindows.Window fault) =>
        follower.Connections.FirstOrDefault(c => c.Start >= fault.Start && c.Replica != replica && c.Status == 200
            && c.Start < (fault.End ?? long.MaxValue) && c.Events > 0)?.Start;

    private static TimeSpan? FirstAckAfter(ScenarioRun run, long at)
    {
        var first = run.Emitters.Acks.Values.Where(a => a.Acked >= at).Select(a => (long?)a.Acked).Min();
        return first is { } ticks ? ScenarioClock.Between(at, ticks) : null;
    }

    private static async Task<TimeSpan?> TimeUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return waited.Elapsed;
                }
            }
            catch (StackExchange.Redis.RedisException)
            {
            }

            await Task.Delay(100);
        }

        return null;
    }
}
