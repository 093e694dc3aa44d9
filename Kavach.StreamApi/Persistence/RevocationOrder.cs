namespace Kavach.StreamApi.Persistence;

/// <summary>
/// A revocation an emit carries: written in the same transaction as the event that records it, so it is in force exactly
/// when its record is in the log (and its hash chain).
/// </summary>
public sealed record RevocationOrder(RevocationKind Kind, string Value, string? Reason, string RevokedBy, TimeSpan KeepFor);
