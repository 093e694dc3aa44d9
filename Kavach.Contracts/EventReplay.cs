namespace Kavach.Contracts;

/// <summary>The answer of <c>GET /api/kavach/events/replay</c>: up to 1000 events at or after <c>since</c>, newest first.</summary>
public sealed record EventReplay(IReadOnlyList<KavachEvent> Events);
