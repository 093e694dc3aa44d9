using System.Collections.Frozen;

namespace Kavach.Contracts;

/// <summary>
/// The twelve event types of the KavachOS stream, spelled exactly as clients use them: the one place their names
/// are written, shared by the stream API (validation, filters), the console (chips, alerts, charts) and Kavach.Client (typed events).
/// </summary>
public static class KavachEventTypes
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

    /// <summary>In the order of the seed's table.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        Audit, AgentCreated, AgentRevoked, AgentRotated, AuthSignIn, AuthSignOut, AuthFailed,
        DelegationCreated, DelegationRevoked, BudgetExceeded, AnomalyDetected, CostRecorded,
    ];

    private static readonly FrozenSet<string> Known = All.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether the name is one of the twelve (case-sensitive).</summary>
    public static bool IsKnown(string type) => Known.Contains(type);
}
