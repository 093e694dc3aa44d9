namespace Kavach.DevIdentity.Users;

/// <summary>A development user as the users file or configuration names them: display name, roles, and password.</summary>
public sealed class DevUser
{
    /// <summary>The display name (the <c>name</c> claim); the user's key is the sign-in name.</summary>
    public string? Name { get; set; }

    /// <summary>The console roles (viewer, responder, admin) the <c>roles</c> claim carries, as Entra ID's app roles do.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>This user's own password; without one, the shared <see cref="DevIdentityOptions.Password"/>.</summary>
    public string? Password { get; set; }
}
