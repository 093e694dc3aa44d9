using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.StreamApi.Alerts;

/// <summary>
/// The message a webhook destination receives when an alert is raised: <c>{"kind":"alert.raised","alert":{…}}</c>,
/// with a <c>webhook-id</c> that is the same on every retry (<c>alert-raised-{id}</c>), so a receiver drops duplicates by it.
/// </summary>
public static class AlertNotification
{
    public static string MessageId(AlertView alert) => $"alert-raised-{alert.Id}";

    public static string Payload(AlertView alert) =>
        JsonSerializer.Serialize(new AlertMessage(AlertMessageKinds.Raised, alert with { History = null }), KavachJson.Options);

    private sealed record AlertMessage(string Kind, AlertView Alert);
}
