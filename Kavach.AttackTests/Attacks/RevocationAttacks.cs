using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;
using Npgsql;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// A revoked agent trying to keep reading, a revocation that commits out of id order, and a replica that cannot read
/// revocations: each must end with the token refused everywhere within the bound (2 s after the commit), and never
/// with a guess in the attacker's favour.
/// </summary>
[TestClass]
public sealed class RevocationAttacks
{
    /// <summary>The promise: a revocation committed at T is enforced on every replica and path by T + 2 s.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    private static AttackCluster Cluster => AttackSuite.Cluster;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>What each path answers the token: both replicas' stream, page, replay and emit.</summary>
    /// <summary>Every path of every replica, asked at once: one round takes as long as its slowest answer.</summary>
    private static async Task<Dictionary<string, HttpStatusCode>> PathsAsync(string token, string agent)
    {
        var asked = new List<Task<(string Path, HttpStatusCode Status)>>();
        foreach (var replica in Cluster.Replicas)
        {
            asked.Add(Ask($"{replica.Name} stream", async () =>
            {
                await using var stream = await RawStream.OpenAsync(replica.BaseAddress, token);
                return stream.Status;
            }));
            asked.Add(Ask($"{replica.Name} page", () => WithApi(replica.BaseAddress, token, api => api.GetAsync(Api.Events))));
            asked.Add(Ask($"{replica.Name} replay", () => WithApi(replica.BaseAddress, token, api => api.GetAsync($"{Api.Events}/replay?since=2020-01-01T00:00:00Z"))));
            asked.Add(Ask($"{replica.Name} emit", () => WithApi(replica.BaseAddress, token, api => api.EmitAsync(Api.Event("audit", agent)))));
        }

        return (await Task.WhenAll(asked)).ToDictionary(a => a.Path, a => a.Status);

        static async Task<(string, HttpStatusCode)> Ask(string path, Func<Task<HttpStatusCode>> ask) => (path, await ask());
    }

    private static async Task<HttpStatusCode> WithApi(Uri replica, string token, Func<Api, Task<Answer>> call)
    {
        using var api = new Api(replica, token);
        return (await call(api)).Status;
    }

    /// <summary>
    /// Asks every path until all answer <paramref name="expected"/> or <paramref name="bound"/> passes; the last answers.
    /// A path that answers in time passes the promise; one that has not by the bound fails it.
    /// </summary>
    private static Task<Dictionary<string, HttpStatusCode>> PathsUntilAsync(string token, string agent, HttpStatusCode expected, TimeSpan bound) =>
        Poll.UntilAsync(() => PathsAsync(token, agent), paths => paths.Values.All(status => status == expected), bound);

    private static string Describe(Dictionary<string, HttpStatusCode> answers) =>
        string.Join(", ", answers.GroupBy(a => (int)a.Value).Select(g => $"{g.Key} on {g.Count()} paths"));

    [TestMethod]
    public async Task AnAdminsAgentRevokedEndsTheAgentOnEveryPathAndReplica()
    {
        var agent = Unique("agent");
        var token = Forge.Agent(agent);
        await using var stream = await RawStream.OpenAsync(Cluster.Replicas[0].BaseAddress, token);
        Assert.AreEqual(HttpStatusCode.OK, stream.Status);
        await stream.NextAsync(TimeSpan.FromSeconds(10));

        using var admin = new Api(Cluster.Replicas[1].BaseAddress, Forge.Admin(Unique("admin")));
        await admin.EmitOkAsync(Api.Event("agent.revoked", agent));
        var committed = Stopwatch.StartNew();
        var frames = await stream.CollectUntilAsync(f => f.Type == "error", Bound + TimeSpan.FromSeconds(1));
        var endedAfter = committed.Elapsed;
        var paths = await PathsUntilAsync(token, agent, HttpStatusCode.Unauthorized, Bound - committed.Elapsed);
        var end = frames.LastOrDefault(f => f.Type == "error");
        Findings.Record("revoked agent keeps using its token (admin's agent.revoked)",
            $"stream {(end is null ? "kept" : $"ended {end.Json.GetProperty("code").GetString()} after {endedAfter.TotalSeconds:0.0} s")}; afterwards {Describe(paths)}");

        Assert.IsNotNull(end, "the agent's open stream must end");
        Assert.AreEqual("TOKEN_REVOKED", end.Json.GetProperty("code").GetString());
        foreach (var (path, status) in paths)
        {
            Assert.AreEqual(HttpStatusCode.Unauthorized, status, path);
        }

        // A token issued after the revocation speaks for the agent again (a re-created agent).
        await Poll.NextSecondAsync(); // iat has one-second resolution
        using var renewed = new Api(Cluster.Replicas[0].BaseAddress, Forge.Agent(agent));
        Assert.AreEqual(HttpStatusCode.OK, (await renewed.GetAsync(Api.Events)).Status);
    }

    [TestMethod]
    public async Task ARevocationThatCommitsAfterALaterOneIsNeverLost()
    {
        var (early, late) = (Forge.Reader(Unique("early")), Forge.Reader(Unique("late")));

        // The early revocation takes its id first and holds its transaction open...
        await using var connection = await Cluster.OpenDatabaseAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO kavach_revocations (kind, value, reason, revoked_by, expires_at) VALUES ('token', $1, 'attack', 'attack', now() + interval '1 hour')",
            connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = Forge.IdOf(early) });
            await insert.ExecuteNonQueryAsync();
        }

        // ...while a later one (a higher id) commits through the API and every replica follows past it.
        using var admin = new Api(Cluster.Replicas[0].BaseAddress, Forge.Admin(Unique("admin")));
        var revoked = await admin.PostJsonAsync("/api/kavach/revocations", new JsonObject { ["tokenId"] = Forge.IdOf(late) });
        Assert.AreEqual(HttpStatusCode.Created, revoked.Status, revoked.ToString());
        var followedPast = await PathsUntilAsync(late, "reader", HttpStatusCode.Unauthorized, Poll.Bound); // every replica follows past it
        Assert.IsTrue(followedPast.Values.All(status => status == HttpStatusCode.Unauthorized), Describe(followedPast));

        await transaction.CommitAsync();
        var committed = Stopwatch.StartNew();
        var paths = await PathsUntilAsync(early, "reader", HttpStatusCode.Unauthorized, Bound);
        var refusedAfter = committed.Elapsed;
        Findings.Record("revocation committed after a later one (out of id order)",
            $"within {Bound.TotalSeconds:0} s of its commit: {Describe(paths)} (answered so by {refusedAfter.TotalSeconds:0.0} s)");
        foreach (var (path, status) in paths)
        {
            Assert.AreEqual(HttpStatusCode.Unauthorized, status, $"{path}: the early revocation was lost");
        }
    }

    [TestMethod]
    public async Task AReplicaThatCannotReadRevocationsRefusesRatherThanGuesses()
    {
        var token = Forge.Reader(Unique("reader"));
        using var api = new Api(Cluster.Replicas[0].BaseAddress, token);
        Assert.AreEqual(HttpStatusCode.OK, (await api.GetAsync(Api.Events)).Status);

        // Whoever holds this lock keeps every replica from reading revocations, and nothing else.
        Dictionary<string, HttpStatusCode> during;
        await using (var connection = await Cluster.OpenDatabaseAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE kavach_revocations IN ACCESS EXCLUSIVE MODE", connection, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            // Within the bound a replica may still answer from what it last read; after it, nothing but a refusal (once a
            // request has waited, at most TokenStanding.RefreshWait, for a read of its own).
            during = await PathsUntilAsync(token, "reader", HttpStatusCode.ServiceUnavailable, Bound + TimeSpan.FromSeconds(1));
            await transaction.RollbackAsync();
        }

        var recovered = Stopwatch.StartNew();
        HttpStatusCode after;
        do
        {
            await Task.Delay(100);
            after = (await api.GetAsync(Api.Events)).Status;
        }
        while (after != HttpStatusCode.OK && recovered.Elapsed < TimeSpan.FromSeconds(20));

        Findings.Record("revocations unreadable (table locked) while a valid token calls",
            $"{Describe(during)}; back to {(int)after} {recovered.Elapsed.TotalSeconds:0.0} s after the lock went");
        foreach (var (path, status) in during)
        {
            Assert.AreEqual(HttpStatusCode.ServiceUnavailable, status, $"{path}: a check that cannot be made must fail closed");
        }

        Assert.AreEqual(HttpStatusCode.OK, after, "service resumes once revocations can be read");
    }
}
