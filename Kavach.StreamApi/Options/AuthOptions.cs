using System.ComponentModel.DataAnnotations;
using System.Text;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.StreamApi.Options;

/// <summary>Settings under <c>Kavach:Auth</c>: how bearer tokens are validated, and who may get one from this API.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Kavach:Auth";

    /// <summary>HS256 shared secret: the API signs and checks its own tokens (development, tests, the AppHost's generated key).</summary>
    public string? SigningKey { get; set; }

    /// <summary>OpenID Connect authority whose published keys sign the tokens (production). Requires <see cref="Audience"/>.</summary>
    public string? Authority { get; set; }

    /// <summary>
    /// Expected <c>iss</c>; always validated. With an <see cref="Authority"/> it defaults to the authority's own issuer;
    /// with a <see cref="SigningKey"/>, to <c>kavach</c>.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Expected <c>aud</c>. Required with an <see cref="Authority"/>: its tokens for other apps must not pass here.</summary>
    public string? Audience { get; set; }

    /// <summary>How far a token's <c>exp</c>/<c>nbf</c> may be off against this replica's clock (0 to 5 minutes).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Accept tokens without the <c>events:read</c> scope on the read endpoints, as before scopes existed. Off by default:
    /// turn it on only while an older token issuer is being changed to grant <c>events:read</c>.
    /// </summary>
    public bool AllowReadWithoutScope { get; set; }

    /// <summary>
    /// Service clients that may get a token from <c>POST /api/kavach/tokens</c> with their secret (OAuth 2.0 client
    /// credentials), each with the scopes it is allowed: the console, CI. Only with a <see cref="SigningKey"/>.
    /// </summary>
    public List<ServiceClient> Clients { get; set; } = [];

    /// <summary>Lifetime of tokens issued to service clients.</summary>
    public TimeSpan ClientTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often each replica reads new revocations from PostgreSQL (it also reads at once after revoking).</summary>
    public TimeSpan RevocationFollowInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The oldest a replica's knowledge of revocations may be: past it (PostgreSQL unreachable) every token is refused
    /// with 503 and open streams pause, so a revocation committed at T is enforced on every replica by T + this.
    /// </summary>
    public TimeSpan RevocationMaxAge { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>False when <c>Kavach:Stream:RequireAuth</c> is off; then no key is needed. Not bound from configuration.</summary>
    internal bool Required { get; set; } = true;

    /// <summary>The issuer validated and written into the API's own tokens.</summary>
    internal string OwnIssuer => string.IsNullOrEmpty(Issuer) ? KavachTokens.DefaultIssuer : Issuer;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Required && string.IsNullOrEmpty(SigningKey) && string.IsNullOrEmpty(Authority))
        {
            yield return new ValidationResult(
                $"Set {Section}:SigningKey (HS256 secret, at least {KavachTokens.MinimumSigningKeyBytes} bytes) or " +
                $"{Section}:Authority (OpenID Connect issuer URL) so tokens can be validated, or set " +
                $"{StreamOptions.Section}:RequireAuth=false for local use without tokens.",
                [nameof(SigningKey), nameof(Authority)]);
        }

        if (!string.IsNullOrEmpty(SigningKey) && Encoding.UTF8.GetByteCount(SigningKey) < KavachTokens.MinimumSigningKeyBytes)
        {
            yield return new ValidationResult(
                $"{Section}:SigningKey must be at least {KavachTokens.MinimumSigningKeyBytes} bytes for HS256.",
                [nameof(SigningKey)]);
        }

        if (!string.IsNullOrEmpty(Authority))
        {
            if (!Uri.TryCreate(Authority, UriKind.Absolute, out _))
            {
                yield return new ValidationResult($"{Section}:Authority must be an absolute URL.", [nameof(Authority)]);
            }

            if (string.IsNullOrEmpty(Audience))
            {
                yield return new ValidationResult(
                    $"{Section}:Audience is required with {Section}:Authority: without it, any token the identity provider issues " +
                    "for any other application would be accepted here. Set it to this API's application id (or URI).",
                    [nameof(Audience)]);
            }
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5))
        {
            yield return new ValidationResult($"{Section}:ClockSkew must be between 0 and 00:05:00 (it is {ClockSkew}).", [nameof(ClockSkew)]);
        }

        if (RevocationFollowInterval < TimeSpan.FromMilliseconds(50) || RevocationMaxAge < 2 * RevocationFollowInterval
            || RevocationMaxAge > TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult(
                $"{Section}:RevocationFollowInterval must be at least 50 ms, and {Section}:RevocationMaxAge at least twice it and at most " +
                $"1 minute (they are {RevocationFollowInterval} and {RevocationMaxAge}): a revocation is enforced everywhere within RevocationMaxAge.",
                [nameof(RevocationFollowInterval), nameof(RevocationMaxAge)]);
        }

        if (ClientTokenLifetime < TimeSpan.FromMinutes(1) || ClientTokenLifetime > TimeSpan.FromHours(24))
        {
            yield return new ValidationResult($"{Section}:ClientTokenLifetime must be between 00:01:00 and 1.00:00:00.", [nameof(ClientTokenLifetime)]);
        }

        foreach (var (client, i) in Clients.Select((c, i) => (c, i)))
        {
            if (string.IsNullOrWhiteSpace(client.Id) || string.IsNullOrEmpty(client.Secret) || Encoding.UTF8.GetByteCount(client.Secret) < 24)
            {
                yield return new ValidationResult(
                    $"{Section}:Clients:{i} needs an Id and a Secret of at least 24 bytes.", [nameof(Clients)]);
            }

            if (string.IsNullOrEmpty(SigningKey))
            {
                yield return new ValidationResult(
                    $"{Section}:Clients needs {Section}:SigningKey: the API signs the tokens it issues. With an identity provider, " +
                    "register the client there instead.", [nameof(Clients)]);
            }
        }
    }
}

/// <summary>A service client allowed to get tokens from the API: its id, its secret, and the scopes it may have.</summary>
public sealed class ServiceClient
{
    public string Id { get; set; } = "";

    public string Secret { get; set; } = "";

    /// <summary>Space-separated scopes the client may ask for (it gets all of them when it asks for none).</summary>
    public string Scopes { get; set; } = "";
}
