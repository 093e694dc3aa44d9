using System.Globalization;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.Dashboard.Options;
using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// Decides, event by event, which alerts the stream calls for (<see cref="AlertRulesOptions"/>): every rule counts
/// per entity, so one user's failed sign-ins never add up with another's. A burst or spending rule raises once per
/// window for an entity; an exceeded budget or an anomaly raises for its own event. Deterministic over the events it
/// is given (it reads event time, never the clock), so a console that replays a window after a restart finds the
/// same alerts with the same evidence, and the API recognises them. Not thread-safe: one caller at a time.
/// </summary>
public sealed class AlertRules
{
    /// <summary>At most this many sequences go with a raise as its evidence (the newest).</summary>
    public const int MaxEvidence = 100;

    private readonly List<(BurstRuleOptions Rule, SlidingWindows Windows)> _bursts;
    private readonly BudgetRuleOptions _budget;
    private readonly SlidingWindows? _spending;
    private readonly AnomalyRuleOptions _anomaly;

    public AlertRules(AlertRulesOptions options)
    {
        _bursts = options.EffectiveBursts.Select(b => (b, new SlidingWindows(b.Window))).ToList();
        _budget = options.Budget;
        _spending = _budget is { Enabled: true, CostThreshold: not null } ? new SlidingWindows(_budget.CostWindow) : null;
        _anomaly = options.Anomaly;
    }

    /// <summary>Entities currently tracked by the window rules (memory stays bounded by the active ones).</summary>
    public int TrackedEntities => _bursts.Sum(b => b.Windows.Entities) + (_spending?.Entities ?? 0);

    public IReadOnlyList<AlertCandidate> Observe(KavachEvent e)
    {
        List<AlertCandidate>? found = null;
        foreach (var (rule, windows) in _bursts)
        {
            if (string.Equals(e.Type, rule.Type, StringComparison.Ordinal) && ObserveBurst(rule, windows, e) is { } burst)
            {
                (found ??= []).Add(burst);
            }
        }

        var other = e.Type switch
        {
            EventTypes.BudgetExceeded when _budget.Enabled => BudgetExceeded(e),
            EventTypes.CostRecorded when _spending is not null => ObserveSpending(_spending, e),
            EventTypes.AnomalyDetected when _anomaly.Enabled => Anomaly(e),
            _ => null,
        };
        if (other is not null)
        {
            (found ??= []).Add(other);
        }

        return found ?? (IReadOnlyList<AlertCandidate>)[];
    }

    private static AlertCandidate? ObserveBurst(BurstRuleOptions rule, SlidingWindows windows, KavachEvent e)
    {
        var entity = rule.Per == AlertEntityKinds.Agent ? e.AgentId : e.UserId;
        if (string.IsNullOrWhiteSpace(entity))
        {
            return null;
        }

        var window = windows.Add(entity, e.Timestamp, e.Sequence, 1);
        if (window.Count < rule.Threshold || window.RaisedWithin(e.Timestamp, rule.Window))
        {
            return null;
        }

        window.LastRaisedAt = e.Timestamp;
        var what = rule.Type == EventTypes.AuthFailed ? "Burst of failed sign-ins" : $"Burst of {rule.Type}";
        return new AlertCandidate(rule.Name, AlertKinds.Burst, rule.Per, entity, $"{what} for {EntityLabels.Describe(rule.Per)} {entity}",
            $"{window.Count} {rule.Type} within {Seconds(rule.Window)} (latest: {EventSummary.Describe(e)})",
            window.Sequences(MaxEvidence), rule.Window, rule.Notify, e.Timestamp);
    }

    private AlertCandidate? ObserveSpending(SlidingWindows windows, KavachEvent e)
    {
        if (string.IsNullOrWhiteSpace(e.AgentId) || Amount(e.Data) is not { } amount || amount <= 0)
        {
            return null;
        }

        var window = windows.Add(e.AgentId, e.Timestamp, e.Sequence, amount);
        if (window.Weight < _budget.CostThreshold || window.RaisedWithin(e.Timestamp, windows.Length))
        {
            return null;
        }

        window.LastRaisedAt = e.Timestamp;
        return new AlertCandidate(BudgetRuleOptions.CostRule, AlertKinds.Spending, AlertEntityKinds.Agent, e.AgentId, $"Spending over threshold for agent {e.AgentId}",
            string.Create(CultureInfo.InvariantCulture,
                $"{window.Weight:0.00} spent within {Seconds(windows.Length)} (threshold {_budget.CostThreshold:0.00}, {window.Count} cost.recorded)"),
            window.Sequences(MaxEvidence), windows.Length, _budget.Notify, e.Timestamp);
    }

    private AlertCandidate? BudgetExceeded(KavachEvent e) => EntityOf(e) is { } entity
        ? new AlertCandidate(BudgetRuleOptions.BudgetRule, AlertKinds.Budget, entity.Kind, entity.Id, $"Budget exceeded by {EntityLabels.Describe(entity.Kind)} {entity.Id}",
            EventSummary.Describe(e), [e.Sequence], null, _budget.Notify, e.Timestamp)
        : null;

    private AlertCandidate? Anomaly(KavachEvent e)
    {
        var score = Number(e.Data, "score");
        if (score is { } value && value < _anomaly.MinScore || EntityOf(e) is not { } entity)
        {
            return null;
        }

        return new AlertCandidate(AnomalyRuleOptions.Rule, AlertKinds.Anomaly, entity.Kind, entity.Id, $"Anomaly detected for {EntityLabels.Describe(entity.Kind)} {entity.Id}",
            EventSummary.Describe(e), [e.Sequence], null, _anomaly.Notify, e.Timestamp);
    }

    /// <summary>Budgets and anomalies are about the agent when the event names one, else about the user.</summary>
    private static (string Kind, string Id)? EntityOf(KavachEvent e) =>
        !string.IsNullOrWhiteSpace(e.AgentId) ? (AlertEntityKinds.Agent, e.AgentId)
        : !string.IsNullOrWhiteSpace(e.UserId) ? (AlertEntityKinds.User, e.UserId)
        : null;

    private static decimal? Amount(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("amount", out var amount) && amount.ValueKind == JsonValueKind.Number
            && amount.TryGetDecimal(out var value) ? value : null;

    private static double? Number(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetDouble(out var number) ? number : null;

    private static string Seconds(TimeSpan window) => string.Create(CultureInfo.InvariantCulture, $"{window.TotalSeconds:0} s");
}
