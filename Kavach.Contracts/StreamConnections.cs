namespace Kavach.Contracts;

/// <summary>The answer of <c>GET /api/kavach/events/stream/connections</c>: open streams on the answering replica, and on all replicas.</summary>
public sealed record StreamConnections(long Connections, long Total);
