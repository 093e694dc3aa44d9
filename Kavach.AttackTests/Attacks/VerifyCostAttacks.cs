using System.Net;
using System.Text.Json.Nodes;
using Kavach.AttackTests.Harness;

namespace Kavach.AttackTests.Attacks;

/// <summary>
/// Verification re-reads and re-hashes every event of its range: a caller looping over the largest range would keep a
/// replica's CPU and history connections busy. Each subject has an events budget per window, charged up front.
/// </summary>
[TestClass]
public sealed class VerifyCostAttacks
{
    [TestMethod]
    public async Task RepeatedFullVerificationsAreRefusedOnceTheCallersBudgetIsSpent()
    {
        var head = await EnsureEventsAsync(TightLimits.MaxVerifyRange);
        var replica = (await TightLimits.ReplicaAsync()).BaseAddress;
        var range = $"{Api.Events}/verify?from={head - TightLimits.MaxVerifyRange + 1}&to={head}";
        var caller = Forge.Reader($"verifier-{Guid.NewGuid():N}");

        var answers = new List<Answer>();
        for (var i = 0; i < TightLimits.VerifyPerSubject; i++)
        {
            using var api = new Api(replica, caller, TightLimits.Address(80 + i)); // its addresses' own limits stay out of it
            answers.Add(await api.GetAsync(range));
        }

        using var other = new Api(replica, Forge.Reader($"other-verifier-{Guid.NewGuid():N}"), TightLimits.Address(90));
        var otherCaller = await other.GetAsync(range);
        Findings.Record("full verification in a loop", $"{TightLimits.MaxVerifyRange} events each: " +
            $"{string.Join(", ", answers.Select(Refusal.Describe))}; another caller: {Refusal.Describe(otherCaller)}");

        var fits = TightLimits.VerifyEventsPerSubject / TightLimits.MaxVerifyRange;
        Assert.IsTrue(answers.Take(fits).All(a => a.Status == HttpStatusCode.OK && a.Json.GetProperty("checked").GetInt64() > 0),
            string.Join("\n", answers));
        foreach (var refused in answers.Skip(fits))
        {
            Assert.AreEqual("Kavach:Limits:Verify:EventsPerSubject", Refusal.LimitOf(refused));
            Assert.IsTrue(refused.Headers.RetryAfter!.Delta >= TimeSpan.FromMinutes(4), "the budget comes back over the window, not at once");
        }

        Assert.AreEqual(HttpStatusCode.OK, otherCaller.Status, otherCaller.ToString());
    }

    /// <summary>At least <paramref name="count"/> committed events; the head.</summary>
    private static async Task<long> EnsureEventsAsync(int count)
    {
        var head = await AttackSuite.Cluster.ScalarAsync<long>("SELECT last_value FROM kavach_stream_sequence");
        using var emitter = new Api(AttackSuite.Cluster.Replicas[0].BaseAddress, Forge.Emitter("verify-cost-setup"));
        while (head < count)
        {
            head = (await emitter.EmitOkAsync([.. Enumerable.Range(0, 500).Select(_ => Api.Event("audit", "verify-cost",
                data: new JsonObject { ["n"] = 1 }))]))[^1];
        }

        return head;
    }
}
