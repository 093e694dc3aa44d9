using System.Text.Json;

namespace Kavach.StreamApi.Emit;

/// <summary>An event as a caller hands it in, before validation: only <see cref="Type"/> is required.</summary>
public sealed record EventDraft(
    string? Type,
    JsonElement? Data = null,
    string? Id = null,
    DateTimeOffset? Timestamp = null,
    string? AgentId = null,
    string? UserId = null);
