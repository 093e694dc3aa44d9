using System.Collections.Concurrent;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Integrity;
using Kavach.UnitTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kavach.UnitTests.Dashboard;

/// <summary>The console's chain watcher against a fake verification endpoint, its rounds driven by a fake clock.</summary>
[TestClass]
public sealed class ChainWatcherTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The console verified up to 500; then the API's database went back (a restore, a reset) to a head of 10. Checking
    /// "since 500" finds nothing to check — and the events 1–10 of the new history would go unverified until the next
    /// full check. The watcher verifies the whole stored range again at once.
    /// </summary>
    [TestMethod]
    public async Task AfterTheDatabaseWentBackTheNextCheckVerifiesEverythingAgain()
    {
        var asked = new ConcurrentQueue<string?>();
        await using var server = await FakeApi.StartAsync(app => app.MapGet("/api/kavach/events/verify", (HttpContext context) =>
        {
            asked.Enqueue(context.Request.Query["from"].FirstOrDefault());
            return asked.Count == 1
                ? Results.Text("""{"from":1,"to":500,"head":500,"epoch":1,"valid":true,"checked":500,"verifiedThrough":500}""", "application/json")
                : Results.Text("""{"from":501,"to":10,"head":10,"epoch":1,"valid":true,"checked":0,"verifiedThrough":null}""", "application/json");
        }));
        var clock = new FakeTimeProvider(TestEvents.Start);
        using var services = new ServiceCollection()
            .AddScoped(_ => new StreamApiClient(new HttpClient { BaseAddress = server.Address }))
            .BuildServiceProvider();
        using var watcher = new ChainWatcher(services.GetRequiredService<IServiceScopeFactory>(),
            Microsoft.Extensions.Options.Options.Create(new StreamApiOptions { ChainCheckInterval = Interval, FullChainCheckEvery = 10 }),
            clock, NullLogger<ChainWatcher>.Instance);

        await watcher.StartAsync(CancellationToken.None);
        try
        {
            for (var round = 1; round < 3; round++)
            {
                await FakeApi.WaitUntilAsync(() => asked.Count == round);
                clock.Advance(Interval);
            }

            await FakeApi.WaitUntilAsync(() => asked.Count == 3);
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }

        CollectionAssert.AreEqual(new[] { null, "501", null }, asked.ToArray(), "full check, the check since 500, then full again");
        Assert.IsNull(watcher.State.Alert, "nothing was broken");
    }

    /// <summary>
    /// A log rewritten and re-hashed is consistent with itself: /verify finds no break in the chain, but the signer refuses
    /// (it never delivered that chain), or the witness holds other checkpoints. Each raises the console's alert.
    /// </summary>
    [TestMethod]
    [DataRow("""{"state":"refusing","reason":"The stored chain at #40 differs from the chain this replica delivered."}""", null, "signer-refused", 40L)]
    [DataRow("""{"state":"signing"}""", """{"configured":true,"contradictions":[{"epoch":1,"sequence":30,"detail":"the witness holds another checkpoint"}]}""", "witness-contradiction", 30L)]
    [DataRow("""{"state":"signing"}""", """{"configured":true,"missingFromDatabase":[{"epoch":1,"sequence":20,"detail":"deleted from the database"}]}""", "witness-deleted", 20L)]
    [DataRow("""{"state":"signing"}""", """{"configured":true,"missingFromWitness":[{"epoch":1,"sequence":10,"detail":"not in the witness"}]}""", "witness-missing", 10L)]
    [DataRow("""{"state":"signing"}""", """{"configured":true,"error":"the witness did not answer within 00:00:10"}""", "witness-unreachable", 40L)]
    public async Task AConsistentChainThatTheSignerOrTheWitnessContradictsRaisesTheAlert(string signer, string? witness, string kind, long at)
    {
        var report = $$"""{"from":1,"to":40,"head":40,"epoch":1,"valid":true,"checked":40,"verifiedThrough":40,"signer":{{signer}}{{(witness is null ? "" : $",\"witness\":{witness}")}}}""";
        await using var server = await FakeApi.StartAsync(app => app.MapGet("/api/kavach/events/verify", () => Results.Text(report, "application/json")));
        using var services = new ServiceCollection()
            .AddScoped(_ => new StreamApiClient(new HttpClient { BaseAddress = server.Address }))
            .BuildServiceProvider();
        using var watcher = new ChainWatcher(services.GetRequiredService<IServiceScopeFactory>(),
            Microsoft.Extensions.Options.Options.Create(new StreamApiOptions { ChainCheckInterval = Interval, FullChainCheckEvery = 10 }),
            new FakeTimeProvider(TestEvents.Start), NullLogger<ChainWatcher>.Instance);

        await watcher.StartAsync(CancellationToken.None);
        try
        {
            await FakeApi.WaitUntilAsync(() => watcher.State.CheckedAt is not null);
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }

        Assert.IsFalse(watcher.State.Valid, report);
        Assert.IsNotNull(watcher.State.Alert, report);
        Assert.AreEqual(kind, watcher.State.Alert.Break.Kind);
        Assert.AreEqual(at, watcher.State.Alert.Break.Sequence);
    }
}
