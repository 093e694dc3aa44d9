namespace Kavach.Dashboard.Services.Events;

/// <summary>The twelve event types the stream API knows, and which of them the console treats as alerts.</summary>
public static class EventTypes
{
    public const string Audit = "audit";
    public const string AgentCreated = "agent.created";
    public const string AgentRevoked = "agent.revoked";
    public const string AgentRotated = "agent.rotated";
    public const string AuthSignIn = "auth.signin";
    public const string AuthSignOut = "auth.signout";
    public const string AuthFailed = "auth.failed";
    public const string DelegationCreated = "delegation.created";
    public const string DelegationRevoked = "delegation.revoked";
    public const string BudgetExceeded = "budget.exceeded";
    public const string AnomalyDetected = "anomaly.detected";
    public const string CostRecorded = "cost.recorded";

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
