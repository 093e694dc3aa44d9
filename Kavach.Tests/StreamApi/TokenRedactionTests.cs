using Kavach.Tests.Support;

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

        var logs = await StreamApiLogs.ReadAsync(TimeSpan.FromSeconds(5));

        Assert.IsTrue(logs.Contains("/api/kavach/events/stream", StringComparison.Ordinal),
            "request logs were not captured, so this test would prove nothing");
        Assert.IsFalse(logs.Contains(token, StringComparison.Ordinal), "a valid query-string token leaked into the logs");
        Assert.IsFalse(logs.Contains(token.Split('.')[2], StringComparison.Ordinal), "a token signature leaked into the logs");
        Assert.IsFalse(logs.Contains(badToken, StringComparison.Ordinal), "an invalid query-string token leaked into the logs");
    }
}
