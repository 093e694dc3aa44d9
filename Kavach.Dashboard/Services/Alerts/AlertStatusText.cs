using System.Globalization;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>What the degraded banner says when alerts are late or unread: one sentence, or null when all is well.</summary>
public static class AlertStatusText
{
    public static string? Degraded(AlertsState alerts, PendingRaisesStatus raises)
    {
        var parts = new List<string>();
        if (raises.Retrying > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{raises.Pending} alert{(raises.Pending == 1 ? "" : "s")} waiting for the API, retried with backoff since {raises.OldestPendingSince?.UtcDateTime:HH:mm:ss} UTC ({raises.LastError})"));
        }

        if (raises.Dropped > 0)
        {
            parts.Add($"{raises.Dropped} finding{(raises.Dropped == 1 ? "" : "s")} dropped: more than {PendingRaises.MaxPending} were waiting");
        }

        if (alerts.Error is not null)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"alerts could not be read since {alerts.ErrorAt?.UtcDateTime:HH:mm:ss} UTC ({alerts.Error}); the banner shows the last read"));
        }

        return parts.Count == 0 ? null : string.Join("; ", parts) + ".";
    }
}
