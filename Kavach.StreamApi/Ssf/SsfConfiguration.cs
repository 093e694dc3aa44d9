using Kavach.Contracts;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Ssf;

/// <summary>
/// The transmitter's issuer and its configuration metadata (SSF §7.1): every endpoint is the issuer followed by its
/// path, so the metadata, the streams' <c>iss</c> and the SETs' <c>iss</c> all name the same one. The issuer is
/// <c>Kavach:Ssf:Issuer</c>, or the request's own scheme, host and path base (as the ingress reported them).
/// </summary>
public sealed class SsfConfiguration(IOptions<SsfOptions> options)
{
    public const string SpecVersion = "1_0";

    /// <summary>OAuth 2.0 (RFC 6749): the one scheme the CAEP interoperability profile requires.</summary>
    public const string OAuthSpecUrn = "urn:ietf:rfc:6749";

    public string Issuer(HttpRequest request) =>
        options.Value.Issuer is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";

    public SsfTransmitterConfiguration Describe(HttpRequest request)
    {
        var ssf = Issuer(request) + KavachRoutes.Ssf;
        return new SsfTransmitterConfiguration(
            SpecVersion,
            Issuer(request),
            ssf + "/jwks",
            [SsfStreamSettings.PushMethod, SsfStreamSettings.PollMethod],
            ssf + "/stream",
            ssf + "/status",
            ssf + "/subjects:add",
            ssf + "/subjects:remove",
            ssf + "/verify",
            [new SsfAuthorizationScheme(OAuthSpecUrn)],
            "ALL");
    }
}
