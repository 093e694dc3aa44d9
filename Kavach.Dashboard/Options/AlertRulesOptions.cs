using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Options;

/// <summary>
/// The rules that raise alerts, evaluated per entity (section <c>Console:Rules</c>): bursts of one event type per
/// user or per agent, exceeded budgets (and optionally spending over a threshold) per agent, and anomalies with a
/// score at or above a threshold. Each rule may name a push destination the API notifies when it raises an alert.
/// </summary>
public sealed class AlertRulesOptions
{
    public const string Section = "Console:Rules";

    /// <summary>Burst rules; when none is configured, <see cref="DefaultBursts"/> apply.</summary>
    public List<BurstRuleOptions> Bursts { get; set; } = [];

    public BudgetRuleOptions Budget { get; set; } = new();

    public AnomalyRuleOptions Anomaly { get; set; } = new();

    /// <summary>How often the console reads the alerts from the API (and at once after its own changes).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A raise the API did not take is tried again after a delay doubling up to this.</summary>
    public TimeSpan RaiseRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Today's rule, per entity: 5 <c>auth.failed</c> within 60 s for one user, or for one agent.</summary>
    public static IReadOnlyList<BurstRuleOptions> DefaultBursts { get; } =
    [
        new() { Name = "auth-failed-per-user", Type = EventTypes.AuthFailed, Per = BurstRuleOptions.PerUser },
        new() { Name = "auth-failed-per-agent", Type = EventTypes.AuthFailed, Per = BurstRuleOptions.PerAgent },
    ];

    /// <summary>The burst rules in force: the configured ones, or the defaults.</summary>
    public IReadOnlyList<BurstRuleOptions> EffectiveBursts => Bursts.Count > 0 ? Bursts : DefaultBursts;

    /// <summary>Every problem with the rules, each naming its key; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal) { BudgetRuleOptions.BudgetRule, BudgetRuleOptions.CostRule, AnomalyRuleOptions.Rule };
        for (var i = 0; i < Bursts.Count; i++)
        {
            var burst = Bursts[i];
            var key = $"{Section}:Bursts:{i}";
            if (string.IsNullOrWhiteSpace(burst.Name) || burst.Name.Length > 100)
            {
                problems.Add($"{key}:Name must be set (at most 100 characters): alerts are kept per rule name and entity.");
            }
            else if (!names.Add(burst.Name))
            {
                problems.Add($"{key}:Name '{burst.Name}' is used by another rule: each rule needs its own name.");
            }

            if (EventTypes.IndexOf(burst.Type) < 0)
            {
                problems.Add($"{key}:Type '{burst.Type}' is not an event type; use one of {string.Join(", ", EventTypes.All)}.");
            }

            if (burst.Per is not (BurstRuleOptions.PerUser or BurstRuleOptions.PerAgent))
            {
                problems.Add($"{key}:Per '{burst.Per}' must be {BurstRuleOptions.PerUser} or {BurstRuleOptions.PerAgent}.");
            }

            if (burst.Threshold is < 2 or > 10_000)
            {
                problems.Add($"{key}:Threshold must be between 2 and 10000 events.");
            }

            if (burst.Window < TimeSpan.FromSeconds(1) || burst.Window > TimeSpan.FromDays(1))
            {
                problems.Add($"{key}:Window must be between 00:00:01 and 1.00:00:00.");
            }
        }

        if (Budget.CostThreshold is <= 0)
        {
            problems.Add($"{Section}:Budget:CostThreshold must be above 0 (or unset, for no spending rule).");
        }

        if (Budget.CostWindow < TimeSpan.FromMinutes(1) || Budget.CostWindow > TimeSpan.FromDays(31))
        {
            problems.Add($"{Section}:Budget:CostWindow must be between 00:01:00 and 31.00:00:00.");
        }

        if (Anomaly.MinScore < 0 || double.IsNaN(Anomaly.MinScore))
        {
            problems.Add($"{Section}:Anomaly:MinScore must be 0 or more.");
        }

        if (PollInterval < TimeSpan.FromMilliseconds(500) || PollInterval > TimeSpan.FromMinutes(5))
        {
            problems.Add($"{Section}:PollInterval must be between 00:00:00.5 and 00:05:00.");
        }

        if (RaiseRetryMaxDelay < TimeSpan.FromSeconds(1) || RaiseRetryMaxDelay > TimeSpan.FromMinutes(30))
        {
            problems.Add($"{Section}:RaiseRetryMaxDelay must be between 00:00:01 and 00:30:00.");
        }

        return problems;
    }
}

/// <summary>A burst: <see cref="Threshold"/> events of <see cref="Type"/> within <see cref="Window"/> for one user or agent.</summary>
public sealed class BurstRuleOptions
{
    public const string PerUser = Kavach.Contracts.AlertEntityKinds.User;
    public const string PerAgent = Kavach.Contracts.AlertEntityKinds.Agent;

    public string Name { get; set; } = "";

    public string Type { get; set; } = EventTypes.AuthFailed;

    /// <summary>The entity counted apart: <c>userId</c> or <c>agentId</c>. Events without it are not counted.</summary>
    public string Per { get; set; } = PerUser;

    public int Threshold { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A push destination (webhook) id the API notifies when this rule raises an alert.</summary>
    public Guid? Notify { get; set; }
}

/// <summary>
/// <c>budget.exceeded</c> raises an alert for its agent; with <see cref="CostThreshold"/>, an agent's
/// <c>cost.recorded</c> amounts adding up to it within <see cref="CostWindow"/> raise one too.
/// </summary>
public sealed class BudgetRuleOptions
{
    public const string BudgetRule = "budget-exceeded";
    public const string CostRule = "cost-over-threshold";

    public bool Enabled { get; set; } = true;

    public decimal? CostThreshold { get; set; }

    public TimeSpan CostWindow { get; set; } = TimeSpan.FromHours(1);

    public Guid? Notify { get; set; }
}

/// <summary><c>anomaly.detected</c> with a <c>score</c> at or above <see cref="MinScore"/> (no score: the detector flagged it) raises an alert.</summary>
public sealed class AnomalyRuleOptions
{
    public const string Rule = "anomaly";

    public bool Enabled { get; set; } = true;

    public double MinScore { get; set; }

    public Guid? Notify { get; set; }
}
