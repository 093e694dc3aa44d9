using System.ComponentModel.DataAnnotations;
using Kavach.Contracts;

namespace Kavach.Dashboard.Options;

/// <summary>How the console reaches the stream API (section <c>StreamApi</c>).</summary>
public sealed class StreamApiOptions
{
    public const string Section = "StreamApi";

    [Required]
    public Uri BaseAddress { get; set; } = new("http://streamapi");

    /// <summary>A ready-made bearer token (it is not renewed); when empty the console gets its own with its client credentials.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// The console's service client id and secret (OAuth 2.0 client credentials), given by the AppHost: the console holds
    /// no signing key, only what lets it ask for its own short-lived, read-only token.
    /// </summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>
    /// The console's response credential (the AppHost's <c>kavach-console-responder</c> client): a client whose only scope
    /// is <c>events:revoke</c>, used for the Respond page's revocations and nothing else. Without it the page says so.
    /// </summary>
    public string? ResponderClientId { get; set; }

    public string? ResponderClientSecret { get; set; }

    /// <summary>Where to ask for tokens: the stream API's own endpoint by default, or an identity provider's.</summary>
    public Uri TokenEndpoint { get; set; } = new(KavachRoutes.Tokens, UriKind.Relative);

    /// <summary>On first connect the console asks for this much recent history (SSE <c>since=</c>).</summary>
    public TimeSpan InitialWindow { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>No bytes (not even a heartbeat) for this long means the connection is dead: drop it and reconnect.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(75);

    public TimeSpan ConnectionsPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the push destinations are read for the destinations page and the retry-horizon alert.</summary>
    public TimeSpan DestinationsPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the console checks the hash chain of the events committed since its last check.</summary>
    public TimeSpan ChainCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every this many checks, the whole stored range is verified again (stored events can be altered later).</summary>
    [Range(1, 10_000)]
    public int FullChainCheckEvery { get; set; } = 10;

    /// <summary>Lets the console emit demo traffic (it then asks for <c>events:emit</c> too). Development only.</summary>
    public bool EnableDemoTraffic { get; set; }
}

/// <summary>Who may view the console (section <c>Console</c>).</summary>
public sealed class ConsoleAccessOptions
{
    public const string Section = "Console";

    /// <summary>Whether anyone must sign in: true unless <see cref="Mode"/> is None (set from the mode at start).</summary>
    public bool RequireSignIn { get; set; }

    /// <summary>The sign-in the console runs with (<c>Console:Auth:Mode</c>, resolved at start; see ConsoleAuthSelection).</summary>
    public ConsoleAuthMode Mode { get; set; }

    /// <summary>The shared access key, for <c>Console:Auth:Mode</c> AccessKey only (an explicit fallback).</summary>
    public string? AccessKey { get; set; }

    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
