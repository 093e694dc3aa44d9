namespace Kavach.StreamApi.Events;

/// <summary>
/// Who emits: the token's subject (the owner of the idempotency ids it uses), the party it speaks for when its subject
/// is an agent or a user (it may emit only events about that party), and whether its events may change access — the
/// one place that decides which events take effect as revocations.
/// </summary>
public sealed record Emitter(string Id, string? Agent = null, string? User = null, bool MayChangeAccess = false)
{
    /// <summary>Code inside the API process (the in-process module): the service itself.</summary>
    public static readonly Emitter Service = new("kavach:service", MayChangeAccess: true);

    /// <summary>
    /// Whether committing <paramref name="e"/> revokes its agent's tokens: an <c>agent.revoked</c> from an emitter that
    /// may change access (<c>events:admin</c>). From any other emitter it is stored as a notification and changes nothing.
    /// </summary>
    public bool Revokes(ValidatedEvent e) => MayChangeAccess && e.AgentId is not null && e.Type == KavachEventTypes.AgentRevoked;
}
