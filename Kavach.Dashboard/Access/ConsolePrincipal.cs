using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Kavach.Dashboard.Access;

/// <summary>
/// The console's own view of who is signed in, whatever the sign-in: a name (<see cref="ClaimTypes.Name"/>, what
/// changes are recorded as), a display name, roles in <see cref="ConsoleRoles.ClaimType"/>, and a session id the
/// session checks key on.
/// </summary>
public static class ConsolePrincipal
{
    public const string DisplayNameClaim = "kavach:display_name";
    public const string SessionClaim = "kavach:session";
    public const string KeyStampClaim = "kavach:key_stamp";

    /// <summary>The claims an OpenID Connect provider's ID token carries: Entra ID's and the development provider's.</summary>
    public const string RolesClaim = "roles";

    /// <summary>
    /// From the provider's ID token claims: the name is <c>preferred_username</c> (alice, or Entra ID's UPN), else
    /// <c>name</c>, else <c>sub</c>; roles from <c>roles</c>, keeping only the console's own.
    /// </summary>
    public static ClaimsPrincipal FromOidc(ClaimsPrincipal provider)
    {
        var name = First(provider, "preferred_username") ?? First(provider, "name") ?? First(provider, "sub") ?? "unknown";
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, name),
            new(DisplayNameClaim, First(provider, "name") ?? name),
            new(SessionClaim, Guid.NewGuid().ToString("N")),
        };
        claims.AddRange(RolesIn(provider).Select(role => new Claim(ConsoleRoles.ClaimType, role)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    /// <summary>The console's roles among a token's <c>roles</c> claims (or role claims already mapped), sorted.</summary>
    public static IReadOnlyList<string> RolesIn(ClaimsPrincipal principal) =>
        [.. principal.Claims.Where(c => c.Type is RolesClaim or ConsoleRoles.ClaimType or "role")
            .Select(c => c.Value)
            .Where(role => role is ConsoleRoles.Viewer or ConsoleRoles.Responder or ConsoleRoles.Admin)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];

    /// <summary>The access key's operator: every role, and a stamp of the key so that rotating the key ends the session.</summary>
    public static ClaimsPrincipal FromAccessKey(string accessKey) =>
        new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, "operator"),
            new Claim(DisplayNameClaim, "Operator (access key)"),
            new Claim(ConsoleRoles.ClaimType, ConsoleRoles.Admin),
            new Claim(KeyStampClaim, KeyStamp(accessKey)),
        ], CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>A hash of the key (never the key): the cookie says which key opened it, not what the key is.</summary>
    public static string KeyStamp(string accessKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("kavach-console-key-stamp:" + accessKey)))[..32];

    public static string DisplayNameOf(ClaimsPrincipal user) => First(user, DisplayNameClaim) ?? ConsoleUser.NameOf(user);

    /// <summary>The highest role: admin, responder or viewer (or none).</summary>
    public static string? RoleOf(ClaimsPrincipal user) =>
        user.IsInRole(ConsoleRoles.Admin) ? ConsoleRoles.Admin
        : user.IsInRole(ConsoleRoles.Responder) ? ConsoleRoles.Responder
        : user.IsInRole(ConsoleRoles.Viewer) ? ConsoleRoles.Viewer
        : null;

    private static string? First(ClaimsPrincipal principal, string type) =>
        principal.FindFirst(type)?.Value is { Length: > 0 } value ? value : null;
}
