namespace Kavach.Contracts;

/// <summary>
/// An alert as <c>/api/kavach/alerts</c> answers it (docs/console.md, "Alerts"): what a rule saw about one entity, the
/// events that are its evidence, and where people have taken it. <see cref="History"/> is filled by
/// <c>GET …/{id}</c> only; lists leave it null.
/// </summary>
public sealed record AlertView(
    long Id,
    string Rule,
    string Kind,
    string EntityKind,
    string Entity,
    string Title,
    string? Detail,
    IReadOnlyList<long> Evidence,
    string State,
    DateTimeOffset RaisedAt,
    string RaisedBy,
    DateTimeOffset ChangedAt,
    string ChangedBy,
    string? Note,
    Guid? NotifyDestination = null,
    IReadOnlyList<AlertChange>? History = null);

/// <summary>
/// One entry of an alert's history, oldest first: the raise itself (state <see cref="AlertStates.Open"/>, by the
/// raising token's subject) and every change a person made. <c>Subject</c> is the token that made the call (the
/// console's client), <c>By</c> the person it acted for.
/// </summary>
public sealed record AlertChange(string State, string By, string Subject, DateTimeOffset At, string? Note);

/// <summary>
/// <c>POST /api/kavach/alerts</c>: raise an alert, idempotently. The same rule and entity with evidence overlapping an
/// existing alert's, or — when <see cref="DedupeWindowSeconds"/> is set (burst rules) — any raise within that many
/// seconds of an existing alert's raise for the rule and entity, answers the existing alert (200) unchanged, whatever
/// its state; otherwise the alert is created (201). Every evidence sequence must be a stored event. A
/// <see cref="NotifyDestination"/> (a webhook destination's id) gets an <c>alert.raised</c> message when, and only
/// when, the alert is created.
/// </summary>
public sealed record AlertRaise(
    string? Rule = null,
    string? Kind = null,
    string? EntityKind = null,
    string? Entity = null,
    string? Title = null,
    string? Detail = null,
    IReadOnlyList<long>? Evidence = null,
    int? DedupeWindowSeconds = null,
    Guid? NotifyDestination = null);

/// <summary>
/// <c>POST /api/kavach/alerts/{id}/state</c>: acknowledge, resolve or reopen an alert on behalf of the person
/// <c>By</c> (required), with an optional note. Allowed: open → acknowledged | resolved, acknowledged → resolved | open,
/// resolved → open; anything else is 409.
/// </summary>
public sealed record AlertStateChange(string? State = null, string? By = null, string? Note = null);

/// <summary>A page of <c>GET /api/kavach/alerts</c>, newest first, and the <c>before</c> of the next page (null: no more).</summary>
public sealed record AlertPage(IReadOnlyList<AlertView> Alerts, long? Next);

/// <summary>The states of an alert.</summary>
public static class AlertStates
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";

    /// <summary>Every state, in lifecycle order.</summary>
    public static readonly IReadOnlyList<string> All = [Open, Acknowledged, Resolved];

    /// <summary>Whether a person may move an alert from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool CanChange(string from, string to) => (from, to) switch
    {
        (Open, Acknowledged) or (Open, Resolved) => true,
        (Acknowledged, Resolved) or (Acknowledged, Open) => true,
        (Resolved, Open) => true,
        _ => false,
    };
}

/// <summary>What an alert is about: the claim of the events it groups, or the whole stream.</summary>
public static class AlertEntityKinds
{
    /// <summary>Events of one <c>userId</c>.</summary>
    public const string User = "userId";

    /// <summary>Events of one <c>agentId</c>.</summary>
    public const string Agent = "agentId";

    /// <summary>The whole stream (a budget, say); the entity names what was measured.</summary>
    public const string Stream = "stream";

    /// <summary>Every kind.</summary>
    public static readonly IReadOnlyList<string> All = [User, Agent, Stream];
}

/// <summary>The kind of a notification message an alert sends to a webhook destination.</summary>
public static class AlertMessageKinds
{
    /// <summary>A new alert; the message's body is <c>{"kind":"alert.raised","alert":AlertView}</c>.</summary>
    public const string Raised = "alert.raised";
}

/// <summary>The sizes the alerts API accepts; anything larger is a 400.</summary>
public static class AlertLimits
{
    public const int RuleLength = 100;
    public const int KindLength = 50;
    public const int EntityLength = 200;
    public const int TitleLength = 200;
    public const int DetailLength = 2000;
    public const int NoteLength = 2000;
    public const int ByLength = 200;
    public const int EvidenceCount = 500;
    public const int DedupeWindowSeconds = 7 * 24 * 3600;
    public const int PageSize = 200;
}
