using Kavach.Contracts;

namespace Kavach.StreamApi.Alerts;

/// <summary>How a raise ended: a new alert, the one it repeats, or why nothing was stored.</summary>
public enum RaiseResult
{
    Created,
    Existing,
    EvidenceMissing,
    DestinationUnknown,
    DestinationNotWebhook,
    DestinationDisabled,
}

/// <summary>A raise's outcome: the alert (created or existing), or the evidence sequences the log does not hold.</summary>
public sealed record RaiseOutcome(RaiseResult Result, AlertView? Alert = null, IReadOnlyList<long>? Missing = null);

/// <summary>How a state change ended.</summary>
public enum ChangeResult
{
    Changed,
    NotFound,
    NotAllowed,
}

/// <summary>A state change's outcome, with the alert as it is now (unchanged when the change was not allowed).</summary>
public sealed record ChangeOutcome(ChangeResult Result, AlertView? Alert = null);
