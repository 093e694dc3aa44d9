using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Events;

/// <summary>
/// The twelve event types (<see cref="KavachEventTypes"/>) in the console's display order, and which of them it
/// treats as alerts.
/// </summary>
public static class EventTypes
{
    public const string Audit = KavachEventTypes.Audit;
    public const string AgentCreated = KavachEventTypes.AgentCreated;
    public const string AgentRevoked = KavachEventTypes.AgentRevoked;
    public const string AgentRotated = KavachEventTypes.AgentRotated;
    public const string AuthSignIn = KavachEventTypes.AuthSignIn;
    public const string AuthSignOut = KavachEventTypes.AuthSignOut;
    public const string AuthFailed = KavachEventTypes.AuthFailed;
    public const string DelegationCreated = KavachEventTypes.DelegationCreated;
    public const string DelegationRevoked = KavachEventTypes.DelegationRevoked;
    public const string BudgetExceeded = KavachEventTypes.BudgetExceeded;
    public const string AnomalyDetected = KavachEventTypes.AnomalyDetected;
    public const string CostRecorded = KavachEventTypes.CostRecorded;

    public static readonly IReadOnlyList<string> All =
    [
        Audit, AgentCreated, AgentRotated, AgentRevoked, AuthSignIn, AuthSignOut, AuthFailed,
        DelegationCreated, DelegationRevoked, CostRecorded, BudgetExceeded, AnomalyDetected,
    ];

    /// <summary>Position of a known type in <see cref="All"/>, or -1; used to index per-type arrays.</summary>
    public static int IndexOf(string type)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (string.Equals(All[i], type, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    public static bool IsAlert(string type) => type is AnomalyDetected or BudgetExceeded;

    /// <summary>A CSS-safe name for per-type styling: <c>agent.created</c> becomes <c>agent-created</c>.</summary>
    public static string CssName(string type) => type.Replace('.', '-');
}
