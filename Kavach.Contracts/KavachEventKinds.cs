namespace Kavach.Contracts;

// The twelve types as records over the common envelope, so readers can switch on them. KavachEventKinds.Of makes
// the right one for a type name.

/// <summary><c>audit</c>: an agent action logged to the audit trail.</summary>
public sealed record AuditEvent : KavachEvent { public AuditEvent(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>agent.created</c>: a new agent identity is registered.</summary>
public sealed record AgentCreated : KavachEvent { public AgentCreated(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>agent.revoked</c>: an agent is permanently revoked.</summary>
public sealed record AgentRevoked : KavachEvent { public AgentRevoked(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>agent.rotated</c>: an agent token is rotated.</summary>
public sealed record AgentRotated : KavachEvent { public AgentRotated(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>auth.signin</c>: a user signs in.</summary>
public sealed record AuthSignIn : KavachEvent { public AuthSignIn(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>auth.signout</c>: a user signs out.</summary>
public sealed record AuthSignOut : KavachEvent { public AuthSignOut(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>auth.failed</c>: a sign-in attempt fails.</summary>
public sealed record AuthFailed : KavachEvent { public AuthFailed(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>delegation.created</c>: a new delegation chain is created.</summary>
public sealed record DelegationCreated : KavachEvent { public DelegationCreated(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>delegation.revoked</c>: a delegation is revoked.</summary>
public sealed record DelegationRevoked : KavachEvent { public DelegationRevoked(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>budget.exceeded</c>: an agent exceeds its cost budget.</summary>
public sealed record BudgetExceeded : KavachEvent { public BudgetExceeded(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>anomaly.detected</c>: the anomaly detector flags unusual behaviour.</summary>
public sealed record AnomalyDetected : KavachEvent { public AnomalyDetected(KavachEvent envelope) : base(envelope) { } }

/// <summary><c>cost.recorded</c>: a cost event is attributed to an agent.</summary>
public sealed record CostRecorded : KavachEvent { public CostRecorded(KavachEvent envelope) : base(envelope) { } }

/// <summary>Makes the typed record of an envelope's type.</summary>
public static class KavachEventKinds
{
    private static readonly Dictionary<string, Func<KavachEvent, KavachEvent>> Factories = new(StringComparer.Ordinal)
    {
        [KavachEventTypes.Audit] = e => new AuditEvent(e),
        [KavachEventTypes.AgentCreated] = e => new AgentCreated(e),
        [KavachEventTypes.AgentRevoked] = e => new AgentRevoked(e),
        [KavachEventTypes.AgentRotated] = e => new AgentRotated(e),
        [KavachEventTypes.AuthSignIn] = e => new AuthSignIn(e),
        [KavachEventTypes.AuthSignOut] = e => new AuthSignOut(e),
        [KavachEventTypes.AuthFailed] = e => new AuthFailed(e),
        [KavachEventTypes.DelegationCreated] = e => new DelegationCreated(e),
        [KavachEventTypes.DelegationRevoked] = e => new DelegationRevoked(e),
        [KavachEventTypes.BudgetExceeded] = e => new BudgetExceeded(e),
        [KavachEventTypes.AnomalyDetected] = e => new AnomalyDetected(e),
        [KavachEventTypes.CostRecorded] = e => new CostRecorded(e),
    };

    /// <summary>The typed record for the envelope's type; the envelope itself for a type this version does not know.</summary>
    public static KavachEvent Of(KavachEvent envelope) =>
        envelope.GetType() == typeof(KavachEvent) && Factories.TryGetValue(envelope.Type, out var make) ? make(envelope) : envelope;
}
