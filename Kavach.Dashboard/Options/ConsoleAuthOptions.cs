namespace Kavach.Dashboard.Options;

/// <summary>How people sign in to the console (section <c>Console:Auth</c>; docs/configuration.md).</summary>
public sealed class ConsoleAuthOptions
{
    public const string Section = "Console:Auth";

    /// <summary>Oidc, AccessKey or None; unset means None in Development and is an error elsewhere.</summary>
    public ConsoleAuthMode? Mode { get; set; }

    /// <summary>The OpenID Connect provider: Entra ID's <c>https://login.microsoftonline.com/&lt;tenant&gt;/v2.0</c>, or the development provider.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>
    /// How often a session is checked against the provider with its refresh token: a removed user's refresh fails and a
    /// changed role shows in the new ID token; either ends the session.
    /// </summary>
    public TimeSpan RevalidateEvery { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>How the console knows who is there.</summary>
public enum ConsoleAuthMode
{
    /// <summary>No sign-in: everyone may do everything. Development only.</summary>
    None,

    /// <summary>Named people through OpenID Connect, with roles from the provider's <c>roles</c> claim.</summary>
    Oidc,

    /// <summary>The shared access key (<c>Console:AccessKey</c>): one anonymous operator with every role. An explicit fallback.</summary>
    AccessKey,
}
