using System.Text;
using System.Text.Json.Nodes;
using Kavach.Contracts;
using Kavach.ServiceDefaults.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// Tokens signed with the cluster's real key, whose payload the attack writes as JSON: claims of any shape an
/// identity provider might send (an empty array, a number, an object, null), so every way a claim can be wrong is
/// tried against the real validator.
/// </summary>
public static class Forge
{
    /// <summary>A token for <paramref name="subject"/> with <paramref name="scopes"/> and any extra claims, exactly as given.</summary>
    public static string Token(string subject, string scopes, JsonObject? claims = null, TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null,
        string signingKey = AttackCluster.SigningKey)
    {
        var now = issuedAt ?? DateTimeOffset.UtcNow;
        var payload = new JsonObject
        {
            ["iss"] = KavachTokens.DefaultIssuer,
            ["sub"] = subject,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds() - 1,
            ["exp"] = (now + (lifetime ?? TimeSpan.FromHours(1))).ToUnixTimeSeconds(),
        };
        if (scopes.Length > 0)
        {
            payload["scope"] = scopes;
        }

        foreach (var (name, value) in claims ?? [])
        {
            payload[name] = value?.DeepClone();
        }

        var credentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256);
        return new JsonWebTokenHandler().CreateToken(payload.ToJsonString(), credentials);
    }

    public static string Reader(string subject, JsonObject? claims = null) => Token(subject, KavachScopes.Read, claims);

    public static string Emitter(string subject, JsonObject? claims = null) => Token(subject, KavachScopes.Emit, claims);

    public static string Admin(string subject) => Token(subject, $"{KavachScopes.Admin} {KavachScopes.Read} {KavachScopes.Emit}");

    /// <summary>An agent's own token: it reads (and emits) its own events only.</summary>
    public static string Agent(string agentId, string scopes = $"{KavachScopes.Read} {KavachScopes.Emit}") =>
        Token(agentId, scopes, new JsonObject { [KavachClaims.SubjectKind] = "agent" });

    /// <summary>The token's <c>jti</c>, as the revocation API takes it.</summary>
    public static string IdOf(string token) => new JsonWebToken(token).Id;
}
