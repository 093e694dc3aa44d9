using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Alerts;

/// <summary>
/// What a rule found in the stream, before the API has it: the rule, the entity it is about (a user or an agent), the
/// evidence (event sequences) and, for rules over a window, that window — the API treats a raise within it for the
/// same rule and entity as the alert it already has.
/// </summary>
public sealed record AlertCandidate(
    string Rule,
    string Kind,
    string EntityKind,
    string Entity,
    string Title,
    string Detail,
    IReadOnlyList<long> Evidence,
    TimeSpan? Window,
    Guid? Notify,
    DateTimeOffset ObservedAt)
{
    /// <summary>The body of <c>POST /api/kavach/alerts</c>.</summary>
    public AlertRaise ToRaise() => new(
        Rule, Kind, EntityKind, Entity, Truncate(Title, AlertLimits.TitleLength), Truncate(Detail, AlertLimits.DetailLength), Evidence,
        Window is { } window ? (int)Math.Ceiling(window.TotalSeconds) : null, Notify);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

/// <summary>The kinds of alert the console's rules raise (<see cref="AlertView.Kind"/>).</summary>
public static class AlertKinds
{
    public const string Burst = "burst";
    public const string Budget = "budget";
    public const string Spending = "spending";
    public const string Anomaly = "anomaly";
}

/// <summary>How people read an alert's entity: <c>user bob</c>, <c>agent agent-7</c>.</summary>
public static class EntityLabels
{
    public static string Describe(string kind) => kind switch
    {
        AlertEntityKinds.User => "user",
        AlertEntityKinds.Agent => "agent",
        _ => kind,
    };

    public static string Of(string kind, string entity) => $"{Describe(kind)} {entity}";
}
