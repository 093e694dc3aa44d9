using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Components.Controls;

/// <summary>One colour per event type, shared by chips, rows and the chart; all readable on the dark background.</summary>
public static class EventTypeStyle
{
    private static readonly Dictionary<string, string> Colors = new()
    {
        [EventTypes.Audit] = "#8b949e",
        [EventTypes.AgentCreated] = "#3fb950",
        [EventTypes.AgentRotated] = "#56d4dd",
        [EventTypes.AgentRevoked] = "#d29922",
        [EventTypes.AuthSignIn] = "#58a6ff",
        [EventTypes.AuthSignOut] = "#79c0ff",
        [EventTypes.AuthFailed] = "#ff9b72",
        [EventTypes.DelegationCreated] = "#bc8cff",
        [EventTypes.DelegationRevoked] = "#d2a8ff",
        [EventTypes.CostRecorded] = "#e3b341",
        [EventTypes.BudgetExceeded] = "#ff7b72",
        [EventTypes.AnomalyDetected] = "#ff4d6d",
    };

    public static string Color(string type) => Colors.TryGetValue(type, out var color) ? color : "#c9d1d9";
}
