namespace Kavach.Tests.Dashboard;

/// <summary>The development OpenID Connect provider's named users the AppHost starts it with, one per console role.</summary>
internal static class DevUsers
{
    public const string Admin = "alice";
    public const string Responder = "bob";
    public const string Viewer = "carol";
}
