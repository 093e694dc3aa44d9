using Kavach.ServiceDefaults.Auth;

namespace Kavach.Tests.Support;

public static class Tokens
{
    public static string Reader(string subject = "test-reader") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [], TimeSpan.FromHours(1));

    public static string Emitter(string subject = "test-emitter") =>
        KavachTokens.Issue(KavachSystem.SigningKey, subject, [KavachTokens.EmitScope], TimeSpan.FromHours(1));

    public static string Expired() =>
        KavachTokens.Issue(KavachSystem.SigningKey, "late", [], TimeSpan.FromMinutes(-5));

    public static string SignedWithAnotherKey() =>
        KavachTokens.Issue("a-different-signing-key-0123456789-abcdefghijklmnop", "mallory", [KavachTokens.EmitScope], TimeSpan.FromHours(1));
}
