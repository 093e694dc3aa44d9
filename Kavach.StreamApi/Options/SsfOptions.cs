using System.ComponentModel.DataAnnotations;

namespace Kavach.StreamApi.Options;

/// <summary>Settings under <c>Kavach:Ssf</c>: the OpenID Shared Signals transmitter (docs/ssf.md).</summary>
public sealed class SsfOptions : IValidatableObject
{
    public const string Section = "Kavach:Ssf";

    /// <summary>
    /// The transmitter's issuer: the <c>iss</c> of every SET and the base of every SSF endpoint it announces, an https URL
    /// without query or fragment. Unset, each request's own scheme and host are used (fine on one name; set it when the
    /// service is reached by several, so that every stream and SET names the same issuer).
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>The longest a poll without <c>returnImmediately</c> waits for a SET (RFC 8936 long polling).</summary>
    public TimeSpan PollMaxWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>SETs in one poll answer when the receiver does not say (<c>maxEvents</c>).</summary>
    [Range(1, 10_000)]
    public int PollDefaultEvents { get; set; } = 100;

    /// <summary>The most SETs one poll answer holds, whatever the receiver asks.</summary>
    [Range(1, 10_000)]
    public int PollMaxEvents { get; set; } = 1_000;

    /// <summary>Verification events waiting for one stream; a receiver asking for more gets 429.</summary>
    [Range(1, 1_000)]
    public int MaxPendingVerifications { get; set; } = 10;

    /// <summary>Subjects a receiver may add to or remove from one stream.</summary>
    [Range(1, 1_000_000)]
    public int MaxSubjectsPerStream { get; set; } = 10_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Issuer is { Length: > 0 } issuer
            && (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Query.Length > 0 || uri.Fragment.Length > 0))
        {
            yield return new ValidationResult($"{Section}:Issuer must be an absolute https URL without query or fragment (it is '{issuer}').", [nameof(Issuer)]);
        }

        if (PollMaxWait < TimeSpan.Zero || PollMaxWait > TimeSpan.FromSeconds(30))
        {
            yield return new ValidationResult($"{Section}:PollMaxWait must be between 0 and 00:00:30 (it is {PollMaxWait}).", [nameof(PollMaxWait)]);
        }

        if (PollDefaultEvents > PollMaxEvents)
        {
            yield return new ValidationResult($"{Section}:PollDefaultEvents must not exceed {Section}:PollMaxEvents.", [nameof(PollDefaultEvents)]);
        }
    }
}
