using System.ComponentModel.DataAnnotations;
using System.Text;
using Kavach.ServiceDefaults.Auth;

namespace Kavach.StreamApi.Options;

/// <summary>Settings under <c>Kavach:Auth</c>: how bearer tokens are validated.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Kavach:Auth";

    /// <summary>HS256 shared secret (development, tests, and the AppHost's generated key).</summary>
    public string? SigningKey { get; set; }

    /// <summary>OpenID Connect authority whose published keys sign the tokens (production).</summary>
    public string? Authority { get; set; }

    /// <summary>Validated when set.</summary>
    public string? Issuer { get; set; }

    /// <summary>Validated when set.</summary>
    public string? Audience { get; set; }

    /// <summary>False when <c>Kavach:Stream:RequireAuth</c> is off; then no key is needed. Not bound from configuration.</summary>
    internal bool Required { get; set; } = true;

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

        if (!string.IsNullOrEmpty(Authority) && !Uri.TryCreate(Authority, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"{Section}:Authority must be an absolute URL.", [nameof(Authority)]);
        }
    }
}
