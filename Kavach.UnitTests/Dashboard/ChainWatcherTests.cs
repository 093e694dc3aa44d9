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
}
