namespace Kavach.Contracts;

/// <summary>
/// The stream API's routes, written once for the server that maps them and the clients (Kavach.Client, the console)
/// that call them. Paths are absolute; query strings are the caller's.
/// </summary>
public static class KavachRoutes
{
    /// <summary><c>POST</c> emits; <c>GET</c> reads a page (<see cref="EventPage"/>).</summary>
    public const string Events = "/api/kavach/events";

    /// <summary>Server-Sent Events: replay what was missed, then live events.</summary>
    public const string Stream = Events + "/stream";

    /// <summary>Open streams on the answering replica and on all replicas (<see cref="StreamConnections"/>).</summary>
    public const string StreamConnections = Stream + "/connections";

    /// <summary>Up to 1000 events at or after <c>since</c>, newest first (<see cref="EventReplay"/>).</summary>
    public const string Replay = Events + "/replay";

    /// <summary>The hash chain recomputed over a range (<see cref="ChainReport"/>).</summary>
    public const string Verify = Events + "/verify";

    /// <summary>Signed checkpoints, the keys that verify them and the epochs.</summary>
    public const string Checkpoints = Events + "/checkpoints";

    /// <summary>The newest signed <see cref="Checkpoint"/>.</summary>
    public const string NewestCheckpoint = Checkpoints + "/newest";

    /// <summary>Merkle tree proofs: <c>/inclusion</c> and <c>/consistency</c>.</summary>
    public const string Proofs = Events + "/proofs";

    /// <summary>Token and subject revocations (scope <see cref="KavachScopes.Admin"/>).</summary>
    public const string Revocations = "/api/kavach/revocations";

    /// <summary>Alerts and their history (docs/console.md, "Alerts"): raised by the console's rules, acknowledged and resolved by people.</summary>
    public const string Alerts = "/api/kavach/alerts";

    /// <summary>OAuth 2.0 client credentials: a service client's token.</summary>
    public const string Tokens = "/api/kavach/tokens";

    /// <summary>Development only: a token for any subject.</summary>
    public const string DevelopmentTokens = "/api/kavach/dev/tokens";

    /// <summary>Webhook subscriptions (scope <see cref="KavachScopes.Admin"/>): docs/webhooks.md.</summary>
    public const string Webhooks = "/api/kavach/webhooks";

    /// <summary>Every push destination, webhooks and SSF streams, with pause, resume and redeliver (scope <see cref="KavachScopes.Admin"/>).</summary>
    public const string Destinations = "/api/kavach/destinations";

    /// <summary>The SSF transmitter's configuration metadata (OpenID Shared Signals Framework 1.0, §7.1).</summary>
    public const string SsfConfiguration = "/.well-known/ssf-configuration";

    /// <summary>The SSF transmitter's endpoints (streams, status, subjects, verification, poll, keys): docs/ssf.md.</summary>
    public const string Ssf = "/ssf";
}
