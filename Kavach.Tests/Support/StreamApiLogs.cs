using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Kavach.Tests.Support;

/// <summary>What every API replica of the test system has logged so far, read for <c>settle</c> after the last line.</summary>
public static class StreamApiLogs
{
    public static async Task<string> ReadAsync(TimeSpan settle)
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
