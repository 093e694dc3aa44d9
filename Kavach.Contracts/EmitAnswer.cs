namespace Kavach.Contracts;

/// <summary>The 201 answer of <c>POST /api/kavach/events</c>: each event's id, sequence and timestamp, in request order.</summary>
public sealed record EmitAnswer(IReadOnlyList<EmittedEvent> Events);

/// <summary>Where one emitted event was committed.</summary>
public sealed record EmittedEvent(string Id, long Sequence, DateTimeOffset Timestamp);

/// <summary>A page of <c>GET /api/kavach/events</c>: events in ascending sequence, and the <c>after</c> of the next page (null: nothing more now).</summary>
public sealed record EventPage(IReadOnlyList<KavachEvent> Events, long? Next);
