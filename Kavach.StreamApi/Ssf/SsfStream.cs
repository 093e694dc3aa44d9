using System.Globalization;
using System.Runtime.CompilerServices;
using Kavach.Contracts;
using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// A destination of kind <c>ssf</c> seen as an SSF event stream: its id as receivers spell it, its settings, which of the
/// log's events it carries (the same rule for push and poll), and its SETs' <c>jti</c>s. Read once per destination
/// record: the engine asks about every event of a record it holds.
/// </summary>
public sealed class SsfStream
{
    private static readonly ConditionalWeakTable<Destination, SsfStream> Views = [];

    private SsfStream(Destination destination)
    {
        Destination = destination;
        Settings = SsfStreamSettings.FromConfig(destination.Config);
        Subjects = Settings.ExcludedSubjects is { Count: > 0 } removed ? new SsfSubjectFilter(removed) : SsfSubjectFilter.None;
        StreamId = destination.Id.ToString("N");
        AgentIssuer = SsfSubjectId.AgentIssuer(Settings.Issuer);
        UserIssuer = SsfSubjectId.UserIssuer(Settings.Issuer);
    }

    public static SsfStream Of(Destination destination) => Views.GetValue(destination, d => new SsfStream(d));

    public Destination Destination { get; }

    public SsfStreamSettings Settings { get; }

    public SsfSubjectFilter Subjects { get; }

    /// <summary>The destination's id, 32 hex digits: what <c>stream_id</c> and the subject of its verification events say.</summary>
    public string StreamId { get; }

    public string AgentIssuer { get; }

    public string UserIssuer { get; }

    public bool IsPush => Settings.Method == SsfStreamSettings.PushMethod;

    /// <summary>Where the receiver gets its SETs: its own URL when pushed, our poll endpoint when polled.</summary>
    public string EndpointUrl => IsPush && Destination.Url is { } url ? url.ToString() : PollUrl(Settings.Issuer, StreamId);

    public IReadOnlyList<string> EventsDelivered => CaepRiscMapping.Delivered(Settings.EventsRequested);

    public static string PollUrl(string issuer, string streamId) => $"{issuer.TrimEnd('/')}{KavachRoutes.Ssf}/poll/{streamId}";

    /// <summary>
    /// Whether this stream carries an event its destination allows (types and read grant: <see cref="Destination.Allows(StoredEvent)"/>):
    /// it has an SSF mapping and no removed subject matches its agent or user.
    /// </summary>
    /// <param name="subjects">Newer removed subjects than this record's, when this replica changed them since it was read.</param>
    public bool Wants(StoredEvent stored, SsfSubjectFilter? subjects = null) =>
        CaepRiscMapping.Of(stored.Type) is not null
        && (subjects ?? Subjects) is var removed
        && (removed.IsEmpty || !removed.Excludes(
            stored.AgentId is { } agent ? SsfSubjectId.IssSubKey(AgentIssuer, agent) : null,
            stored.UserId is { } user ? SsfSubjectId.IssSubKey(UserIssuer, user) : null));

    /// <summary>Both rules at once: what a poll returns and the engine pushes.</summary>
    public bool Carries(StoredEvent stored) => Destination.Allows(stored) && Wants(stored);

    /// <summary>The <c>jti</c> of the SET for the log's event at <paramref name="sequence"/>: the same every time it is sent.</summary>
    public string Jti(long sequence) => $"{StreamId}.{sequence.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The sequence a <c>jti</c> of this stream's log events names; false for any other (an outbox message's, another stream's).</summary>
    public bool TryParseJti(string jti, out long sequence)
    {
        sequence = 0;
        return jti.Length > StreamId.Length + 1 && jti.StartsWith(StreamId, StringComparison.Ordinal) && jti[StreamId.Length] == '.'
            && long.TryParse(jti.AsSpan(StreamId.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out sequence) && sequence > 0;
    }

    /// <summary>The <c>jti</c> of a message of the outbox (a verification event): unlike any log event's.</summary>
    public string NewMessageJti(string kind) => $"{StreamId}.{kind}.{Guid.CreateVersion7():N}";
}
