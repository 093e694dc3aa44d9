namespace Kavach.Contracts;

/// <summary>
/// <c>POST /api/kavach/revocations</c>: revoke exactly one of a token (its <c>jti</c>), a subject's tokens or an agent's
/// tokens issued until now. <see cref="OnBehalfOf"/> names the person a service (the console) acts for; it is recorded
/// with the token's own subject. A <c>events:revoke</c> caller must give a <see cref="Reason"/>.
/// </summary>
public sealed record RevocationRequest(
    string? TokenId = null,
    string? Subject = null,
    string? AgentId = null,
    string? Reason = null,
    int? KeepForHours = null,
    string? OnBehalfOf = null);

/// <summary>
/// A revocation in force and the event that records it in the log (<see cref="EventId"/> at <see cref="Sequence"/>):
/// <c>agent.revoked</c> for an agent, <c>audit</c> for a token or a subject. <see cref="Kind"/> is <c>token</c>,
/// <c>subject</c> or <c>agent</c>. <see cref="Id"/>, <see cref="RevokedAt"/> and <see cref="ExpiresAt"/> are absent only
/// when the commit's answer was lost and the API found the event (and so the revocation) stored afterwards.
/// </summary>
public sealed record RecordedRevocation(
    long? Id,
    string Kind,
    string Value,
    string? Reason,
    string RevokedBy,
    string? OnBehalfOf,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? ExpiresAt,
    string EventId,
    long Sequence);
