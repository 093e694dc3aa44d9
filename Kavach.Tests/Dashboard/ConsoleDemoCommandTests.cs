using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.Tests.Dashboard;

[TestClass]
public sealed class ConsoleDemoCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [TestMethod]
    public async Task TheAspireCommandOnTheConsoleStartsDemoTrafficThroughTheEmitApi()
    {
        var app = KavachSystem.App;
        var console = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "console");
        // The command carries its own key (no person); reading the feed and stopping the traffic take a responder's session.
        using var http = await ConsoleSignIn.SignedInClientAsync(DevUsers.Responder).WaitAsync(Timeout);
        var receivedBefore = await ReceivedAsync(http);

        var result = await app.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(console, "demo-traffic", CancellationToken.None).WaitAsync(Timeout);
        try
        {
            Assert.IsTrue(result.Success, result.Message);
            using var deadline = new CancellationTokenSource(Timeout);
            while (await ReceivedAsync(http) < receivedBefore + 20)
            {
                await Task.Delay(250, deadline.Token);
            }
        }
        finally
        {
            using var stop = await http.DeleteAsync("/api/demo/traffic").WaitAsync(Timeout);
            stop.EnsureSuccessStatusCode();
        }
    }

    private static async Task<long> ReceivedAsync(HttpClient http)
    {
        using var feed = JsonDocument.Parse(await http.GetStringAsync("/api/console/feed").WaitAsync(Timeout));
        return feed.RootElement.GetProperty("received").GetInt64();
    }
}
