using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kavach.UnitTests.StreamApi.Ssf;

/// <summary>
/// Checks a SET the way a receiver that shares no code with us would: the compact JWS split by hand, base64url decoded
/// by hand, the RSA key rebuilt from the JWKS's n and e, and RSASSA-PKCS1-v1_5 with SHA-256 checked by the platform's RSA.
/// </summary>
internal static class IndependentSetVerifier
{
    public sealed record Verified(JsonElement Header, JsonElement Claims, string PayloadText);

    public static Verified Verify(string set, JsonElement jwks)
    {
        var parts = set.Split('.');
        Assert.HasCount(3, parts, "a compact JWS has three parts");
        var header = JsonDocument.Parse(FromBase64Url(parts[0])).RootElement.Clone();
        Assert.AreEqual("RS256", header.GetProperty("alg").GetString());
        Assert.AreEqual("secevent+jwt", header.GetProperty("typ").GetString());
        var kid = header.GetProperty("kid").GetString();
        var jwk = jwks.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == kid);
        Assert.AreEqual("RSA", jwk.GetProperty("kty").GetString());

        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = FromBase64Url(jwk.GetProperty("n").GetString()!),
            Exponent = FromBase64Url(jwk.GetProperty("e").GetString()!),
        });
        Assert.IsGreaterThanOrEqualTo(2048, rsa.KeySize, "the CAEP interoperability profile: RSA keys of at least 2048 bits");
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        Assert.IsTrue(rsa.VerifyData(signed, FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "the signature verifies");

        var payload = Encoding.UTF8.GetString(FromBase64Url(parts[1]));
        return new Verified(header, JsonDocument.Parse(payload).RootElement.Clone(), payload);
    }

    public static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s += (s.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException("not base64url") };
        return Convert.FromBase64String(s);
    }
}
