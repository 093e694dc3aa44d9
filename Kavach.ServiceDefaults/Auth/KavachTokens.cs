using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kavach.ServiceDefaults.Auth;

/// <summary>
/// Issues HS256 tokens with the shared signing key (<c>Kavach:Auth:SigningKey</c>) that the stream API accepts:
/// for the console's own service identity, for the development token endpoint, and for tests.
/// </summary>
public static class KavachTokens
{
    public const string SigningKeyKey = "Kavach:Auth:SigningKey";
    public const string IssuerKey = "Kavach:Auth:Issuer";
    public const string AudienceKey = "Kavach:Auth:Audience";
    public const string ScopeClaim = "scope";
    public const string EmitScope = "events:emit";

    /// <summary>HS256 needs at least 256 bits of key.</summary>
    public const int MinimumSigningKeyBytes = 32;

    public static SymmetricSecurityKey SigningKey(string key) => new(Encoding.UTF8.GetBytes(key));

    public static string Issue(string signingKey, string subject, IEnumerable<string> scopes, TimeSpan lifetime,
        string? issuer = null, string? audience = null)
    {
        var now = DateTime.UtcNow;
        var claims = new List<Claim> { new(JwtRegisteredClaimNames.Sub, subject) };
        var scope = string.Join(' ', scopes);
        if (scope.Length > 0)
        {
            claims.Add(new Claim(ScopeClaim, scope));
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(SigningKey(signingKey), SecurityAlgorithms.HmacSha256),
        });
    }
}
