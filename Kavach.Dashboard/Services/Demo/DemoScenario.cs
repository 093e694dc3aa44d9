using Kavach.Client;
using System.Globalization;
using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Demo;

/// <summary>
/// One agent's life as realistic demo traffic, covering all twelve event types: created, its owner signs in,
/// delegation, audited access, costs until the budget is exceeded, failed sign-ins (sometimes a burst), a key
/// rotation, an occasional anomaly, then delegation revoked, sign-out and the agent revoked.
/// </summary>
public static class DemoScenario
{
    private static readonly string[] Owners = ["asha", "bilal", "chen", "dara", "eitan", "farah"];
    private static readonly string[] Models = ["gpt-4.1-mini", "claude-haiku", "llama-3-70b"];
    private static readonly string[] Resources = ["vault/payments-key", "crm/contacts", "repo/kavach", "s3/reports"];
    private static readonly string[] Anomalies = ["impossible travel", "token reuse", "privilege escalation", "unusual volume"];

    public static IReadOnlyList<NewEvent> Story(int number, Random random)
    {
        var agent = $"agent-demo-{number:D4}-{random.Next(0x1000, 0xFFFF):x4}";
        var owner = $"user-{Owners[number % Owners.Length]}";
        var delegate_ = $"agent-helper-{random.Next(100, 999)}";
        var ip = $"10.{random.Next(0, 255)}.{random.Next(0, 255)}.{random.Next(1, 254)}";
        var model = Models[random.Next(Models.Length)];
        const decimal Budget = 5.00m;

        var story = new List<NewEvent>
        {
            new(EventTypes.AgentCreated, new { name = $"Demo agent {number}", createdBy = owner, purpose = "invoice triage" }, AgentId: agent, UserId: owner),
            new(EventTypes.AuthSignIn, new { method = "sso", ip }, AgentId: agent, UserId: owner),
            new(EventTypes.DelegationCreated, new { delegateId = delegate_, scopes = new[] { "invoices:read", "email:send" }, expiresAt = DateTimeOffset.UtcNow.AddHours(4) }, AgentId: agent, UserId: owner),
            new(EventTypes.Audit, new { action = "read", resource = Resources[random.Next(Resources.Length)], outcome = "allowed" }, AgentId: agent, UserId: owner),
        };

        var spent = 0m;
        while (spent <= Budget)
        {
            var amount = Math.Round((decimal)(0.6 + (random.NextDouble() * 1.4)), 2);
            spent += amount;
            story.Add(new(EventTypes.CostRecorded, new { amount, currency = "USD", model, tokens = (int)(amount * 8000) }, AgentId: agent));
            if (story.Count % 3 == 0)
            {
                story.Add(new(EventTypes.Audit, new { action = "call", resource = $"llm/{model}", outcome = "allowed" }, AgentId: agent));
            }
        }

        story.Add(new(EventTypes.BudgetExceeded, new { budget = Budget, spent, currency = "USD", period = "day" }, AgentId: agent, UserId: owner));

        // Every third story brings a burst of failures big enough to raise the console's alert.
        var failures = number % 3 == 0 ? 6 : random.Next(1, 3);
        for (var i = 0; i < failures; i++)
        {
            story.Add(new(EventTypes.AuthFailed, new { reason = "invalid credentials", ip = $"203.0.113.{random.Next(1, 254)}" }, UserId: owner));
        }

        story.Add(new(EventTypes.AgentRotated, new { reason = "scheduled", keyId = $"k{random.Next(1000, 9999).ToString(CultureInfo.InvariantCulture)}" }, AgentId: agent, UserId: owner));
        if (number % 2 == 0)
        {
            story.Add(new(EventTypes.AnomalyDetected, new
            {
                kind = Anomalies[random.Next(Anomalies.Length)],
                score = Math.Round(0.8 + (random.NextDouble() * 0.19), 2),
                description = $"{agent} acted from {ip} and 198.51.100.7 within 2 minutes",
            }, AgentId: agent, UserId: owner));
        }

        story.Add(new(EventTypes.DelegationRevoked, new { delegateId = delegate_, reason = "task finished" }, AgentId: agent, UserId: owner));
        story.Add(new(EventTypes.AuthSignOut, new { reason = "session ended" }, AgentId: agent, UserId: owner));
        story.Add(new(EventTypes.AgentRevoked, new { reason = "demo complete", revokedBy = owner }, AgentId: agent, UserId: owner));
        return story;
    }
}
