using Aspire.Hosting.ApplicationModel;
using Kavach.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.Tests.StreamApi;

[TestClass]
public sealed class TokenRedactionTests
{
    [TestMethod]
    public async Task QueryStringTokenNeverAppearsInTheReplicasLogs()
    {
        var marker = $"marker{Guid.NewGuid():N}";
        var token = Tokens.Reader(marker);
        var badToken = "bad" + Guid.NewGuid().ToString("N");

        foreach (var replica in KavachSystem.StreamApiReplicas)
        {
            await using (var stream = await SseClient.ConnectAsync(replica, token: null, query: $"?token={Uri.EscapeDataString(token)}&types=audit"))
            {
                await stream.NextAsync();
            }

            await using var refused = await SseClient.ConnectAsync(replica, token: null, query: $"?token={badToken}");
            await refused.NextAsync();
        }

        var logs = await ReadStreamApiLogsAsync(TimeSpan.FromSeconds(5));

        Assert.IsTrue(logs.Contains("/api/kavach/events/stream", StringComparison.Ordinal),
            "request logs were not captured, so this test would prove nothing");
        Assert.IsFalse(logs.Contains(token, StringComparison.Ordinal), "a valid query-string token leaked into the logs");
        Assert.IsFalse(logs.Contains(token.Split('.')[2], StringComparison.Ordinal), "a token signature leaked into the logs");
        Assert.IsFalse(logs.Contains(badToken, StringComparison.Ordinal), "an invalid query-string token leaked into the logs");
    }

    private static async Task<string> ReadStreamApiLogsAsync(TimeSpan settle)
    {
        var app = KavachSystem.App;
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();

        var instances = new HashSet<string>();
        using (var find = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await foreach (var update in notifications.WatchAsync(find.Token))
                {
                    if (update.Resource.Name == "streamapi" && instances.Add(update.ResourceId) && instances.Count == KavachSystem.StreamApiReplicas.Count)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        var text = new System.Text.StringBuilder();
        foreach (var instance in instances)
        {
            using var stop = new CancellationTokenSource(settle);
            try
            {
                await foreach (var batch in loggers.WatchAsync(instance).WithCancellation(stop.Token))
                {
                    foreach (var line in batch)
                    {
                        text.AppendLine(line.Content);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        return text.ToString();
    }
}
