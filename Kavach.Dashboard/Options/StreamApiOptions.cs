using System.ComponentModel.DataAnnotations;

namespace Kavach.Dashboard.Options;

/// <summary>How the console reaches the stream API (section <c>StreamApi</c>).</summary>
public sealed class StreamApiOptions
{
    public const string Section = "StreamApi";

    [Required]
    public Uri BaseAddress { get; set; } = new("http://streamapi");

    /// <summary>A ready-made bearer token; when empty the console mints its own with <c>Kavach:Auth:SigningKey</c>.</summary>
    public string? Token { get; set; }

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>On first connect the console asks for this much recent history (SSE <c>since=</c>).</summary>
    public TimeSpan InitialWindow { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>No bytes (not even a heartbeat) for this long means the connection is dead: drop it and reconnect.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(75);

    public TimeSpan ConnectionsPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Lets the console emit demo traffic (its token then carries <c>events:emit</c>). Development only.</summary>
    public bool EnableDemoTraffic { get; set; }
}

/// <summary>The shared token settings (section <c>Kavach:Auth</c>), also read by the stream API.</summary>
public sealed class KavachAuthOptions
{
    public const string Section = "Kavach:Auth";

    public string? SigningKey { get; set; }

    public string? Issuer { get; set; }

    public string? Audience { get; set; }
}

/// <summary>Who may view the console (section <c>Console</c>).</summary>
public sealed class ConsoleAccessOptions
{
    public const string Section = "Console";

    /// <summary>Require sign-in with <see cref="AccessKey"/>. Defaults to on outside Development.</summary>
    public bool RequireSignIn { get; set; }

    /// <summary>The shared access key (the AppHost's secret parameter <c>console-access-key</c>).</summary>
    public string? AccessKey { get; set; }

    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
