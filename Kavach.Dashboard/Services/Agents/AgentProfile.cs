using System.Text.Json;
using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Agents;

/// <summary>Everything the events say about one agent: lifecycle, delegations, costs and anomalies, in time order.</summary>
public sealed class AgentProfile
{
    private AgentProfile(string agentId, IReadOnlyList<KavachEvent> timeline)
    {
        AgentId = agentId;
        Timeline = timeline;
    }

    public string AgentId { get; }

    /// <summary>All of the agent's events, oldest first (by timestamp, then sequence).</summary>
    public IReadOnlyList<KavachEvent> Timeline { get; }

    public KavachEvent? Created { get; private set; }

    public KavachEvent? Revoked { get; private set; }

    public IReadOnlyList<KavachEvent> Rotations { get; private set; } = [];

    public IReadOnlyList<Delegation> Delegations { get; private set; } = [];

    public IReadOnlyDictionary<string, decimal> CostByCurrency { get; private set; } = new Dictionary<string, decimal>();

    public int CostEvents { get; private set; }

    public IReadOnlyList<KavachEvent> BudgetExceeded { get; private set; } = [];

    public IReadOnlyList<KavachEvent> Anomalies { get; private set; } = [];

    public int FailedSignIns { get; private set; }

    public string Status => Revoked is not null ? "revoked" : Created is not null ? "active" : "unknown";

    public static AgentProfile From(string agentId, IEnumerable<KavachEvent> events)
    {
        var timeline = events
            .Where(e => string.Equals(e.AgentId, agentId, StringComparison.Ordinal))
            .DistinctBy(e => e.Sequence)
            .OrderBy(e => e.Timestamp).ThenBy(e => e.Sequence)
            .ToList();

        var profile = new AgentProfile(agentId, timeline);
        var rotations = new List<KavachEvent>();
        var delegations = new List<Delegation>();
        var costs = new Dictionary<string, decimal>();
        var budget = new List<KavachEvent>();
        var anomalies = new List<KavachEvent>();
        foreach (var e in timeline)
        {
            switch (e.Type)
            {
                case EventTypes.AgentCreated:
                    profile.Created ??= e;
                    break;
                case EventTypes.AgentRevoked:
                    profile.Revoked = e;
                    break;
                case EventTypes.AgentRotated:
                    rotations.Add(e);
                    break;
                case EventTypes.DelegationCreated:
                    delegations.Add(new Delegation(DelegateOf(e), e, null));
                    break;
                case EventTypes.DelegationRevoked:
                    var delegate_ = DelegateOf(e);
                    var open = delegations.FindLastIndex(d => d.Revoked is null && d.DelegateId == delegate_);
                    if (open >= 0)
                    {
                        delegations[open] = delegations[open] with { Revoked = e };
                    }
                    else
                    {
                        delegations.Add(new Delegation(delegate_, null, e));
                    }

                    break;
                case EventTypes.CostRecorded:
                    profile.CostEvents++;
                    if (Decimal(e.Data, "amount") is { } amount)
                    {
                        var currency = String(e.Data, "currency") ?? "USD";
                        costs[currency] = costs.GetValueOrDefault(currency) + amount;
                    }

                    break;
                case EventTypes.BudgetExceeded:
                    budget.Add(e);
                    break;
                case EventTypes.AnomalyDetected:
                    anomalies.Add(e);
                    break;
                case EventTypes.AuthFailed:
                    profile.FailedSignIns++;
                    break;
            }
        }

        profile.Rotations = rotations;
        profile.Delegations = delegations;
        profile.CostByCurrency = costs;
        profile.BudgetExceeded = budget;
        profile.Anomalies = anomalies;
        return profile;
    }

    private static string DelegateOf(KavachEvent e) => String(e.Data, "delegateId") ?? String(e.Data, "to") ?? "?";

    private static string? String(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static decimal? Decimal(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d)
            ? d
            : null;
}

public sealed record Delegation(string DelegateId, KavachEvent? Created, KavachEvent? Revoked)
{
    public bool IsActive => Created is not null && Revoked is null;
}
