using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.Tests.Dashboard;

/// <summary>What one resource of the test system (each of its instances) has logged so far, read for <c>settle</c> after the last line.</summary>
internal static class ResourceLogs
{
    public static async Task<string> ReadAsync(string resource, TimeSpan settle)
    {
        var app = KavachSystem.App;
        var expected = KavachSystem.ExpectedInstanceCounts(app, [resource])[resource];
        var instances = new HashSet<string>();
        using (var find = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await foreach (var update in app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(find.Token))
                {
                    if (update.Resource.Name == resource && instances.Add(update.ResourceId) && instances.Count == expected)
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
                await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(instance).WithCancellation(stop.Token))
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
