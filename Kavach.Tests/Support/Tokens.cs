using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.Tests.Support;

public static class Tokens
{
    public static string Reader(string subject = "test-reader", TokenGrants? grants = null) =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Read], TimeSpan.FromHours(1), grants: grants);

    /// <summary>A valid token for reading that expires after <paramref name="lifetime"/>.</summary>
    public static string ReaderFor(TimeSpan lifetime, string subject = "test-reader") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Read], lifetime);

    /// <summary>A valid token without any scope: as tokens were before scopes existed.</summary>
    public static string WithoutScopes(string subject = "test-unscoped") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [], TimeSpan.FromHours(1));

    public static string Emitter(string subject = "test-emitter") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Emit], TimeSpan.FromHours(1));

    /// <summary>For tests that emit and then read back what they stored.</summary>
    public static string EmitterAndReader(string subject = "test-emitter") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Emit, KavachScopes.Read], TimeSpan.FromHours(1));

    public static string Admin(string subject = "test-admin") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Admin, KavachScopes.Read], TimeSpan.FromHours(1));

    /// <summary>An emitter whose events may change access: its <c>agent.revoked</c> revokes the agent.</summary>
    public static string AdminEmitter(string subject = "test-admin-emitter") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Emit, KavachScopes.Admin], TimeSpan.FromHours(1));

    /// <summary>The console's response credential: it may revoke, and nothing else.</summary>
    public static string Revoker(string subject = "test-revoker") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachScopes.Revoke], TimeSpan.FromHours(1));

    public static string Expired() =>
        KavachTokens.Issue(KavachSystem.SigningKey, "late", [KavachScopes.Read], TimeSpan.FromMinutes(-5));

    public static string SignedWithAnotherKey() =>
        KavachTokens.Issue("a-different-signing-key-0123456789-abcdefghijklmnop", "mallory", [KavachScopes.Emit], TimeSpan.FromHours(1));
}
