using System.Security.Claims;

namespace Kavach.Dashboard.Access;

/// <summary>
/// The console's three roles (docs/console.md, "Roles"). A viewer watches, searches and exports; a responder also
/// acknowledges and resolves alerts and revokes tokens, subjects and agents; an admin also manages push destinations.
/// Each role includes the ones before it.
/// </summary>
public static class ConsoleRoles
{
    public const string Viewer = "viewer";
    public const string Responder = "responder";
    public const string Admin = "admin";

    /// <summary>The claim a signed-in person's roles arrive in (the OpenID Connect provider's <c>roles</c> claim, mapped).</summary>
    public const string ClaimType = ClaimTypes.Role;
}

/// <summary>The authorization policies pages and endpoints name, one per role.</summary>
public static class ConsolePolicies
{
    public const string View = "console.view";
    public const string Respond = "console.respond";
    public const string Administer = "console.administer";
}

/// <summary>Who a change in the console is recorded as: the signed-in person's name.</summary>
public static class ConsoleUser
{
    public static string NameOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && !string.IsNullOrWhiteSpace(user.Identity.Name) ? user.Identity.Name : "anonymous";
}
