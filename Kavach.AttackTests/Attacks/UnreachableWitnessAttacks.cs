using System.Net;
using Kavach.AttackTests.Harness;
using Kavach.Processes;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// The witness taken away (an address where nothing answers, as when its storage is down or blocked): every check that
/// needs it fails closed. <c>/verify</c> is not valid and says why, the console raises its alert, retention removes
/// nothing it cannot tell was witnessed (the same aged events and old checkpoint are pruned where the witness answers:
/// RetentionAttacks) — and the replica keeps serving. (The signer, which reads the witness to anchor, skips its turns.)
/// </summary>
[TestClass]
public sealed class UnreachableWitnessAttacks
{
    private static AttackCluster Cluster => AttackSuite.Cluster;

    [TestMethod]
    public async Task WithoutItsWitnessAReplicaFailsClosedAndKeepsServing()
    {
        var db = await OwnDatabase.CreateAsync(Cluster, "witness_gone");
        var nowhere = $"DefaultEndpointsProtocol=http;AccountName={AzuriteServer.AccountName};AccountKey={Cluster.Witness.AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{FreePort.Next()}/{AzuriteServer.AccountName};";
        var replica = await db.StartReplicaAsync("witness-gone", new Dictionary<string, string>(OldCheckpoint.Settings)
        {
            ["ConnectionStrings__witness"] = nowhere,
            ["Kavach__Integrity__Witness__Timeout"] = "00:00:01",
            ["Kavach__Stream__Retention"] = "00:01:00",
            ["Kavach__Stream__RetentionSweepInterval"] = "00:00:01",
        });
        using var emitter = new Api(replica.BaseAddress, Forge.Emitter("witness-gone"));
        await emitter.EmitOkAsync([.. Enumerable.Range(0, 20).Select(_ => Api.Event("audit", agentId: "witness-gone"))]);

        // Events and a checkpoint old enough for retention, as a stream that ran for its retention period has.
        await db.ExecuteAsync("UPDATE kavach_stream_events SET committed_at = now() - interval '2 minutes'");
        await OldCheckpoint.AddAsync(db, 20, TimeSpan.FromMinutes(2));
        // Retention that prunes nothing leaves no trace outside the process (no log line, no answer): what can show it
        // removed nothing is time for several of its 1 s sweeps (and the signer's turns), then the rows still there.
        await Task.Delay(TimeSpan.FromSeconds(4));

        using var reader = new Api(replica.BaseAddress, Forge.Reader("witness-gone-verifier"));
        var report = await reader.GetAsync($"{Api.Events}/verify");
        var kept = await db.ScalarAsync<long>("SELECT count(*) FROM kavach_stream_events");
        var served = await emitter.EmitOkAsync(Api.Event("audit", agentId: "witness-gone"));
        Findings.Record("the witness unreachable (nothing answers at its address)",
            $"/verify valid:{report.Json.GetProperty("valid").GetBoolean().ToString().ToLowerInvariant()}, witness error: " +
            $"{(report.Json.GetProperty("witness").TryGetProperty("error", out var error) ? error.GetString() : "none")}; console {ConsoleAlert.Of(report)}; " +
            $"{kept} of 20 aged events kept by retention; emits still served (#{served[0]})");

        Assert.AreEqual(HttpStatusCode.OK, report.Status, report.ToString());
        Assert.IsFalse(report.Json.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.IsFalse(string.IsNullOrEmpty(error.GetString()), report.ToString());
        StringAssert.StartsWith(ConsoleAlert.Of(report), "alert: witness-unreachable");
        Assert.AreEqual(20L, kept, "retention removed events it could not tell were witnessed");
        Assert.IsTrue(replica.IsRunning, replica.LogTail());
    }
}
