using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kavach.FaultTests.Deployment;

/// <summary>
/// The rehearsal ingress's TLS certificate, made for 127.0.0.1 at run time. The test's clients trust exactly this
/// certificate (by thumbprint); the console process trusts it through <c>SSL_CERT_FILE</c>, as a machine trusts a CA.
/// </summary>
public static class SelfSignedCertificate
{
    public static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kavach-rehearsal-ingress", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        // Its own root (CA and server at once), so OpenSSL accepts it as a trust anchor in the console's SSL_CERT_FILE.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        // Through PKCS#12 so that Kestrel on Linux gets a certificate with a usable private key.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A handler that trusts this certificate only (not any certificate, and not the machine's roots).</summary>
    public static SocketsHttpHandler TrustingOnly(X509Certificate2 trusted, System.Net.CookieContainer? cookies = null) => new()
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString() },
        UseCookies = cookies is not null,
        CookieContainer = cookies ?? new System.Net.CookieContainer(),
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    };

    public static string WritePem(X509Certificate2 certificate, string path)
    {
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");
        return path;
    }
}
