using System.Text.Json;
using Kavach.Contracts;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Emit;

/// <summary>
/// The event that records a revocation in the log: <c>agent.revoked</c> about the agent for an agent, an <c>audit</c>
/// event for a token or a subject; both with data <c>{action, target, reason, by, onBehalfOf}</c> — <c>by</c> is the
/// revoking token's subject, <c>onBehalfOf</c> the person it acts for (absent when it names nobody).
/// </summary>
public static class RevocationRecord
{
    public const string TokenRevoked = "token.revoked";
    public const string SubjectRevoked = "subject.revoked";

    public static EventDraft Draft(RevocationOrder order, string? onBehalfOf)
    {
        var action = order.Kind switch
        {
            RevocationKind.Token => TokenRevoked,
            RevocationKind.Subject => SubjectRevoked,
            _ => KavachEventTypes.AgentRevoked,
        };
        var data = new Dictionary<string, string?>
        {
            ["action"] = action,
            ["target"] = order.Value,
            ["reason"] = order.Reason,
            ["by"] = order.RevokedBy,
        };
        if (onBehalfOf is not null)
        {
            data["onBehalfOf"] = onBehalfOf;
        }

        return new EventDraft(
            order.Kind == RevocationKind.Agent ? KavachEventTypes.AgentRevoked : KavachEventTypes.Audit,
            JsonSerializer.SerializeToElement(data),
            Id: $"revocation-{Guid.NewGuid():N}",
            AgentId: order.Kind == RevocationKind.Agent ? order.Value : null);
    }
}
