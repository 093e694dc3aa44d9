using System.Diagnostics;
using Kavach.AttackTests.Harness;
using Kavach.Client;
using Kavach.Contracts;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// A stream whose epoch went back — its database reset, or restored cold, so that no replica saw it go back: epoch 1
/// again, lower sequences. Every resync must say the stream's epoch, and a reader must follow it instead of dropping
/// every later event as older than what it has.
/// </summary>
[TestClass]
public sealed class EpochResetAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    [TestMethod]
    public async Task EveryResyncSaysTheStreamsEpoch()
    {
        await using var stream = await RawStream.OpenAsync(Cluster.Replicas[0].BaseAddress, Forge.Reader("rare-resync"), lastEventId: "7:999999999");
        var frames = await stream.CollectUntilAsync(f => f.Type == StreamFrameNames.Resync, Poll.Bound);

        var connected = frames.First(f => f.Type == StreamFrameNames.Connected).Json.GetProperty("epoch").GetInt64();
        var resync = frames.LastOrDefault(f => f.Type == StreamFrameNames.Resync);
        Findings.Record("resume at 7:999999999 (a cursor from before a reset)", resync is null ? "no resync" : $"resync {resync.Data}");
        Assert.IsNotNull(resync);
        Assert.IsTrue(resync.Json.TryGetProperty("epoch", out var epoch), resync.Data);
        Assert.AreEqual(connected, epoch.GetInt64());
    }

    /// <summary>
    /// A client that followed a stream to epoch 7 meets a database that was reset (here: a new one, or a cold restore
    /// that no replica saw): epoch 1 again, lower sequences. It must deliver what is committed there, not drop it as old.
    /// </summary>
    [TestMethod]
    public async Task TheClientFollowsAStreamWhoseEpochWentBack()
    {
        var marker = $"after-reset-{Guid.NewGuid():N}";
        var db = await OwnDatabase.CreateAsync(Cluster, "rare_reset");
        var replica = await db.StartReplicaAsync("rare-reset");
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new KavachClient(http, new KavachClientOptions
        {
            BaseAddress = replica.BaseAddress,
            AccessTokenProvider = _ => ValueTask.FromResult<string?>(Forge.Reader("rare-client")),
        });
        using var stop = new CancellationTokenSource(Poll.Bound);
        var items = new List<StreamItem>();
        var resynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in client.Stream(new StreamRequest { After = "7:999999999" }).WithCancellation(stop.Token))
                {
                    items.Add(item);
                    if (item is Resync)
                    {
                        resynced.TrySetResult();
                    }

                    if (item is KavachEvent { AgentId: var agent } && agent == marker)
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        await resynced.Task.WaitAsync(Poll.Bound);
        using var emitter = new Api(replica.BaseAddress, Forge.Emitter("rare-client"));
        var emitted = await emitter.EmitOkAsync(Api.Event("audit", agentId: marker));
        var watch = Stopwatch.StartNew();
        await reading;

        var delivered = items.OfType<KavachEvent>().Any(e => e.AgentId == marker);
        Findings.Record("Kavach.Client resuming at 7:999999999 on a stream in epoch 1",
            delivered ? $"delivered the next event (#{emitted[0]})" : $"delivered nothing in {watch.Elapsed.TotalSeconds:0} s after #{emitted[0]} was committed");
        Assert.IsTrue(delivered, string.Join(", ", items.Select(i => i.GetType().Name)));
    }
}
