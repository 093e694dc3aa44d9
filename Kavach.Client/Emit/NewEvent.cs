using Kavach.Contracts;

namespace Kavach.Client;

/// <summary>
/// An event to emit. <see cref="Id"/> is set by the client when absent (a UUID v7), so a retry after a lost
/// answer sends the same id and the server stores the event once.
/// </summary>
/// <param name="Type">One of <see cref="KavachEventTypes"/>.</param>
/// <param name="Data">A JSON object (any serializable value, or a <c>JsonElement</c>); null sends <c>{}</c>.</param>
/// <param name="AgentId">The agent the event is about.</param>
/// <param name="UserId">The user the event is about.</param>
/// <param name="Id">The event's id (1–200 characters); the client makes one when null.</param>
/// <param name="Timestamp">When it happened; the server's time when null.</param>
public sealed record NewEvent(
    string Type,
    object? Data = null,
    string? AgentId = null,
    string? UserId = null,
    string? Id = null,
    DateTimeOffset? Timestamp = null);
