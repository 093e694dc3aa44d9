using System.Security.Claims;
using System.Text;
using Kavach.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kavach.ServiceDefaults.Auth;

/// <summary>
/// The token contract of the stream API, and an issuer of HS256 tokens signed with <c>Kavach:Auth:SigningKey</c>: for
/// the API's own token endpoints (development, service clients) and for tests. Scopes (<see cref="KavachScopes"/>) say
/// what a token may do; the <c>kavach_*</c> claims (<see cref="KavachClaims"/>) narrow what it may read (see docs/api.md,
/// "Scopes and claims").
/// </summary>
public static class KavachTokens
{
    public const string SigningKeyKey = "Kavach:Auth:SigningKey";
    public const string IssuerKey = "Kavach:Auth:Issuer";
    public const string AudienceKey = "Kavach:Auth:Audience";

    /// <summary>The issuer of tokens signed with the signing key, when <c>Kavach:Auth:Issuer</c> names no other.</summary>
    public const string DefaultIssuer = "kavach";

    /// <summary>HS256 needs at least 256 bits of key.</summary>
    public const int MinimumSigningKeyBytes = 32;

    public static SymmetricSecurityKey SigningKey(string key) => new(Encoding.UTF8.GetBytes(key));

    public static string Issue(string signingKey, string subject, IEnumerable<string> scopes, TimeSpan lifetime,
        string? issuer = null, string? audience = null, TokenGrants? grants = null)
    {
        var now = DateTime.UtcNow;
        var claims = new List<Claim>
        {
            new(JwtRegisteredClaimNames.Sub, subject),
            new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
        };
        var scope = string.Join(' ', scopes);
        if (scope.Length > 0)
        {
            claims.Add(new Claim(KavachClaims.Scope, scope));
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = issuer ?? DefaultIssuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(SigningKey(signingKey), SecurityAlgorithms.HmacSha256),
        };

        if (grants is not null)
        {
            // Arrays, so that an id with a space in it stays one id.
            descriptor.Claims = new Dictionary<string, object>();
            AddArray(descriptor.Claims, KavachClaims.Types, grants.Types);
            AddArray(descriptor.Claims, KavachClaims.Agents, grants.Agents);
            AddArray(descriptor.Claims, KavachClaims.Users, grants.Users);
            if (grants.SubjectKind is { } kind)
            {
                descriptor.Claims[KavachClaims.SubjectKind] = kind;
            }
        }

        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    private static void AddArray(IDictionary<string, object> claims, string name, IReadOnlyCollection<string>? values)
    {
        if (values is not null)
        {
            claims[name] = values.ToArray();
        }
    }
}

/// <summary>The read-narrowing claims of a token (null: not narrowed by that claim).</summary>
public sealed record TokenGrants(
    IReadOnlyCollection<string>? Types = null,
    IReadOnlyCollection<string>? Agents = null,
    IReadOnlyCollection<string>? Users = null,
    string? SubjectKind = null);
