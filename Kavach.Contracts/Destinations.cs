namespace Kavach.Contracts;

/// <summary>
/// A push destination as the admin APIs and the console show it (docs/webhooks.md): a webhook or an SSF stream, its
/// state, where its cursor stands against the log's head, and how its last attempts went.
/// </summary>
public sealed record DestinationView(
    Guid Id,
    string Kind,
    string? Url,
    string? Description,
    IReadOnlyList<string>? EventTypes,
    DestinationGrant Grant,
    string State,
    string? StateReason,
    long Cursor,
    long Head,
    long Lag,
    DateTimeOffset? OldestUndeliveredAt,
    int Attempts,
    DateTimeOffset? FailingSince,
    DateTimeOffset? NextAttemptAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastSuccessAt,
    long Delivered,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    IReadOnlyList<WebhookSecretView>? Secrets = null);

/// <summary>A destination's read grant, with the claims a token has: null reads any, an empty list nothing.</summary>
public sealed record DestinationGrant(IReadOnlyList<string>? Types = null, IReadOnlyList<string>? Agents = null, IReadOnlyList<string>? Users = null);

/// <summary>A webhook's signing secret, without its value (shown once, when it is made).</summary>
public sealed record WebhookSecretView(string Id, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>Every destination, for the console (<c>GET /api/kavach/destinations</c>).</summary>
public sealed record DestinationList(IReadOnlyList<DestinationView> Destinations);

/// <summary><c>POST /api/kavach/webhooks</c> and <c>PATCH …/{id}</c>: what a subscription receives and where.</summary>
public sealed record WebhookRequest(
    string? Url = null,
    string? Description = null,
    IReadOnlyList<string>? EventTypes = null,
    DestinationGrant? Grant = null,
    long? FromSequence = null);

/// <summary>A new webhook, or a rotated secret: the only answers that carry a secret's value.</summary>
public sealed record WebhookCreated(DestinationView Webhook, string Secret);

/// <summary><c>POST …/{id}/redeliver</c>: send everything again from this sequence on.</summary>
public sealed record RedeliverRequest(long FromSequence);

/// <summary><c>POST …/{id}/pause</c>: why, for the console.</summary>
public sealed record PauseRequest(string? Reason = null);

/// <summary><c>POST …/{id}/test</c>: what the receiver answered to a signed test message.</summary>
public sealed record WebhookTestResult(bool Accepted, int? Status, string? Error, double Milliseconds);
