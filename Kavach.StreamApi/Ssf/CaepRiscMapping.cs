using System.Collections.Frozen;

namespace Kavach.StreamApi.Ssf;

/// <summary>Whose subject identifier a SET's <c>sub_id</c> names first, when the event names both an agent and a user.</summary>
public enum SsfPrincipal
{
    Agent,
    User,
}

/// <summary>What a SET's event object holds beyond the fields every SET of ours carries.</summary>
public enum SsfEventShape
{
    /// <summary>Our own event type URI: the event's time and our event.</summary>
    Own,

    /// <summary>RISC <c>account-disabled</c>: the agent's account.</summary>
    AccountDisabled,

    /// <summary>CAEP <c>credential-change</c>: <c>credential_type</c>, <c>change_type</c>, <c>reason_admin</c>.</summary>
    CredentialChange,

    /// <summary>CAEP <c>session-established</c>.</summary>
    SessionEstablished,

    /// <summary>CAEP <c>session-revoked</c>: <c>reason_admin</c> (required by the CAEP interoperability profile).</summary>
    SessionRevoked,

    /// <summary>CAEP <c>risk-level-change</c>: <c>principal</c>, <c>current_level</c>, <c>risk_reason</c>.</summary>
    RiskLevelChange,
}

/// <summary>One of our event types as an SSF event: its URI, whose subject it is about, and the shape of its event object.</summary>
public sealed record SsfEventMapping(string KavachType, string EventUri, SsfPrincipal Principal, SsfEventShape Shape);

/// <summary>
/// The one table that says what each of our twelve event types is on an SSF stream (docs/ssf.md, "Event types"): the
/// CAEP 1.0 or RISC 1.0 event where one means the same thing, our own URI otherwise. A standard URI is used only where
/// a receiver acting on it would do the right thing: <c>agent.created</c> is not RISC <c>account-enabled</c> (which
/// tells a receiver to lift a disablement it may have made for a good reason), so it has our own URI.
/// </summary>
public static class CaepRiscMapping
{
    public const string CaepBase = "https://schemas.openid.net/secevent/caep/event-type/";
    public const string RiscBase = "https://schemas.openid.net/secevent/risc/event-type/";
    public const string SsfBase = "https://schemas.openid.net/secevent/ssf/event-type/";

    /// <summary>Our own event types: this base and the type's name.</summary>
    public const string KavachBase = "https://kavach.dev/secevent/event-type/";

    public const string SessionRevoked = CaepBase + "session-revoked";
    public const string SessionEstablished = CaepBase + "session-established";
    public const string CredentialChange = CaepBase + "credential-change";
    public const string RiskLevelChange = CaepBase + "risk-level-change";
    public const string AccountDisabled = RiscBase + "account-disabled";

    /// <summary>SSF §8.1.4: the event a receiver asks for to check its stream (not one of the log's).</summary>
    public const string Verification = SsfBase + "verification";

    /// <summary>SSF §8.1.5: the transmitter changed a stream's status.</summary>
    public const string StreamUpdated = SsfBase + "stream-updated";

    public static readonly IReadOnlyList<SsfEventMapping> All =
    [
        Own(KavachEventTypes.Audit, SsfPrincipal.Agent),
        Own(KavachEventTypes.AgentCreated, SsfPrincipal.Agent),
        new(KavachEventTypes.AgentRevoked, AccountDisabled, SsfPrincipal.Agent, SsfEventShape.AccountDisabled),
        new(KavachEventTypes.AgentRotated, CredentialChange, SsfPrincipal.Agent, SsfEventShape.CredentialChange),
        new(KavachEventTypes.AuthSignIn, SessionEstablished, SsfPrincipal.User, SsfEventShape.SessionEstablished),
        new(KavachEventTypes.AuthSignOut, SessionRevoked, SsfPrincipal.User, SsfEventShape.SessionRevoked),
        Own(KavachEventTypes.AuthFailed, SsfPrincipal.User),
        Own(KavachEventTypes.DelegationCreated, SsfPrincipal.Agent),
        new(KavachEventTypes.DelegationRevoked, SessionRevoked, SsfPrincipal.Agent, SsfEventShape.SessionRevoked),
        Own(KavachEventTypes.BudgetExceeded, SsfPrincipal.Agent),
        new(KavachEventTypes.AnomalyDetected, RiskLevelChange, SsfPrincipal.Agent, SsfEventShape.RiskLevelChange),
        Own(KavachEventTypes.CostRecorded, SsfPrincipal.Agent),
    ];

    private static readonly FrozenDictionary<string, SsfEventMapping> ByType = All.ToFrozenDictionary(m => m.KavachType, StringComparer.Ordinal);

    /// <summary><c>events_supported</c>: every URI above, once each, in the table's order.</summary>
    public static readonly IReadOnlyList<string> Supported = All.Select(m => m.EventUri).Distinct(StringComparer.Ordinal).ToArray();

    public static SsfEventMapping? Of(string kavachType) => ByType.GetValueOrDefault(kavachType);

    /// <summary>
    /// <c>events_delivered</c> for what a receiver requested: the supported URIs it named (unknown ones ignored, as SSF
    /// §8.1.1 says), or every supported one when it requested none.
    /// </summary>
    public static IReadOnlyList<string> Delivered(IReadOnlyList<string>? requested) =>
        requested is null ? Supported : Supported.Where(requested.Contains).ToArray();

    /// <summary>Our event types whose URI is delivered: the stream's <see cref="Delivery.Destination.EventTypes"/>.</summary>
    public static IReadOnlyList<string> TypesFor(IReadOnlyList<string> delivered) =>
        All.Where(m => delivered.Contains(m.EventUri)).Select(m => m.KavachType).ToArray();

    private static SsfEventMapping Own(string type, SsfPrincipal principal) => new(type, KavachBase + type, principal, SsfEventShape.Own);
}
