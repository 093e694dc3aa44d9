namespace Kavach.DevIdentity;

/// <summary>
/// The development provider's settings (section <c>DevIdentity</c>): its users, the shared password, the clients it
/// serves and how fast one address may try passwords.
/// </summary>
public sealed class DevIdentityOptions
{
    public const string Section = "DevIdentity";

    /// <summary>
    /// A JSON file <c>{"Users": {"alice": {"Name": "...", "Roles": ["admin"]}}}</c> read on every sign-in and refresh,
    /// so editing it removes a user or changes a role at once. Without it, <see cref="Users"/> from configuration.
    /// </summary>
    public string? UsersFile { get; set; }

    public Dictionary<string, Users.DevUser> Users { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The password of every user without one of their own (the AppHost's secret parameter <c>dev-users-password</c>).</summary>
    public string? Password { get; set; }

    public List<DevClient> Clients { get; set; } = [];

    /// <summary>Password attempts per <see cref="SignInWindow"/> from one address; 0 for no limit.</summary>
    public int SignInPerAddress { get; set; } = 10;

    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a refresh token lasts; a session lasts at most this long without activity.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromHours(8);
}
