using Kavach.FaultTests.Checking;
using Kavach.FaultTests.Harness;
using Kavach.FaultTests.Workload;
using Npgsql;

namespace Kavach.FaultTests.Scenarios;

/// <summary>
/// The database comes back older than what subscribers have already seen (restored from a file-level snapshot):
/// its sequence is behind them and will hand out their sequences again, to other events. The stream must say so
/// (<c>resync</c>) and then deliver every event committed after the restore — none silently skipped because its
/// sequence looks already seen. It rewrites the database's history, so it has a cluster of its own.
/// </summary>
[TestClass]
public sealed class SequenceRegressionTests : FaultScenarioTest
{
    private static FaultCluster _cluster = null!;

    [ClassInitialize]
    public static async Task StartCluster(TestContext context)
    {
        _cluster = await FaultCluster.StartAsync("sequence-regression");
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
    public async Task DatabaseRestoredBehindTheStreamMakesEveryFollowerResyncAndReceiveEveryLaterEvent()
    {
        await RunScenarioAsync(_cluster, "sequence regression", null, async run =>
        {
            var postgres = _cluster.Postgres;
            await run.LoadAsync(TimeSpan.FromSeconds(3));

            var snapshotting = run.BeginFault("PostgreSQL stopped (fast) for a file-level snapshot");
            await postgres.StopFastAsync();
            var snapshot = await postgres.TakeSnapshotAsync("before-regression");
            var snapshotTaken = DateTimeOffset.UtcNow;
            await postgres.StartAsync();
            run.EndFault(snapshotting, "PostgreSQL back after the snapshot");

            // Events that followers receive now exist only in the live database, not in the snapshot.
            await run.LoadAsync(TimeSpan.FromSeconds(3));
            var headBeforeRestore = await _cluster.HeadAsync();
            var restoring = run.BeginFault("PostgreSQL stopped (immediate) and restored to the older snapshot");
            await postgres.StopImmediateAsync();
            await postgres.RestoreSnapshotAsync(snapshot);

            // Until PostgreSQL runs again nothing can commit: every ack and event before this is of the old history.
            var restoredStart = run.Clock.Now;
            await postgres.StartAsync();
            var snapshotHead = await SnapshotHeadAsync(snapshotTaken);
            run.EndFault(restoring, $"PostgreSQL running on the snapshot: its sequence is at {snapshotHead}, followers have seen {headBeforeRestore}");

            // Long enough for new events to take every reassigned sequence and go past the old head.
            await run.LoadAsync(TimeSpan.FromSeconds(8));
            var figures = await run.FinishAsync(new FinishOptions
            {
                DestroyedByScenario = ack => ack.Sequence > snapshotHead && ack.Acked < restoredStart,
                Reassignment = new Reassignment(snapshotHead, restoredStart),
            });

            figures.Extra("snapshot head", snapshotHead);
            figures.Extra("head seen before restore", headBeforeRestore);
            figures.Extra("final head", await _cluster.HeadAsync());
            var resynced = 0;
            foreach (var follower in run.Followers)
            {
                var resync = follower.Resyncs.FirstOrDefault(r => r.Received >= restoredStart);
                if (resync is null)
                {
                    figures.Violation($"{follower.Name} received no resync after the database was restored behind it");
                }
                else if (string.IsNullOrWhiteSpace(resync.Reason))
                {
                    figures.Violation($"{follower.Name}'s resync has no reason: {resync.Json}");
                }
                else
                {
                    resynced++;
                }
            }

            figures.Extra("followers resynced", $"{resynced}/{run.Followers.Count}");
            figures.Extra("resync reasons", string.Join(",", run.Followers.SelectMany(f => f.Resyncs).Select(r => r.Reason ?? "none").Distinct()));
            return figures;
        });
    }

    /// <summary>The restored database's head: the last sequence committed before the snapshot was taken.</summary>
    private static async Task<long> SnapshotHeadAsync(DateTimeOffset snapshotTaken)
    {
        await using var connection = _cluster.Postgres.OpenConnection();
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(max(sequence), 0) FROM kavach_stream_events WHERE committed_at < $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = snapshotTaken.UtcDateTime } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
