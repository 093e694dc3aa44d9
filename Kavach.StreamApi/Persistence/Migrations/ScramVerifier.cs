using System.Security.Cryptography;
using System.Text;

namespace Kavach.StreamApi.Persistence.Migrations;

/// <summary>
/// A password as PostgreSQL stores it (SCRAM-SHA-256, RFC 5802/7677), made here so that the password itself never
/// appears in a CREATE or ALTER ROLE statement a server could log. PostgreSQL takes such a verifier as the password.
/// </summary>
internal static class ScramVerifier
{
    private const int Iterations = 4096; // PostgreSQL's default (scram_iterations)

    /// <remarks>
    /// SASLprep leaves printable ASCII as it is, which is all <c>Kavach:Database:AppRolePassword</c> may hold; the key
    /// derivation then uses the same bytes as PostgreSQL's.
    /// </remarks>
    public static string For(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }
}
