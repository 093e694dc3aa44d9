using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kavach.Tests.Ssf;

/// <summary>
/// A receiver's check of a SET, sharing no code with the transmitter: the compact JWS split and base64url-decoded by
/// hand, the RSA key rebuilt from the JWKS's <c>n</c> and <c>e</c>, RS256 checked by the platform's RSA; then the
/// SSF profile's rules (typ <c>secevent+jwt</c>, the issuer, no <c>sub</c>, no <c>exp</c>, one event).
/// </summary>
public static class SetVerifier
{
    public static JsonElement Verify(string set, JsonElement jwks, string issuer)
    {
        var parts = set.Split('.');
        Assert.HasCount(3, parts, "a compact JWS");
        var header = JsonDocument.Parse(FromBase64Url(parts[0])).RootElement;
        Assert.AreEqual("RS256", header.GetProperty("alg").GetString());
        Assert.AreEqual("secevent+jwt", header.GetProperty("typ").GetString());
        var kid = header.GetProperty("kid").GetString();
        var jwk = jwks.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == kid);
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = FromBase64Url(jwk.GetProperty("n").GetString()!),
            Exponent = FromBase64Url(jwk.GetProperty("e").GetString()!),
        });
        Assert.IsGreaterThanOrEqualTo(2048, rsa.KeySize);
        Assert.IsTrue(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2]), HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1), "the SET's signature verifies with the published key");

        var claims = JsonDocument.Parse(FromBase64Url(parts[1])).RootElement.Clone();
        Assert.AreEqual(issuer, claims.GetProperty("iss").GetString());
        Assert.IsFalse(claims.TryGetProperty("sub", out _));
        Assert.IsFalse(claims.TryGetProperty("exp", out _));
        Assert.AreEqual(1, claims.GetProperty("events").EnumerateObject().Count());
        return claims;
    }

    public static (string Uri, JsonElement Body) Event(JsonElement claims) =>
        claims.GetProperty("events").EnumerateObject().Select(e => (e.Name, e.Value)).Single();

    /// <summary>Our event inside the SET, as the stream serves it.</summary>
    public static JsonElement KavachEvent(JsonElement claims) => Event(claims).Body.GetProperty("kavach_event");

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s += (s.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return Convert.FromBase64String(s);
    }
}
