using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text.RegularExpressions;

namespace Kavach.StreamApi.Options;

/// <summary>
/// Settings under <c>Kavach:Integrity:Witness</c>: where every checkpoint is also recorded, outside PostgreSQL
/// (docs/integrity.md, "The witness"). Blob Storage is reached with <c>ConnectionStrings:witness</c> (Azurite, or an
/// account key) or with <see cref="ServiceUri"/> and a managed identity.
/// </summary>
public sealed partial class WitnessOptions : IValidatableObject
{
    public const string Section = "Kavach:Integrity:Witness";

    /// <summary>The name of the connection string (<c>ConnectionStrings:witness</c>), as the AppHost passes Azurite's.</summary>
    public const string ConnectionName = "witness";

    /// <summary><c>auto</c> (default): <c>blob</c> with a connection string or a service URI, <c>file</c> with a path, else <c>none</c>.</summary>
    public WitnessKind Kind { get; set; } = WitnessKind.Auto;

    /// <summary>
    /// The Blob service, e.g. <c>https://account.blob.core.windows.net/</c>, reached with Azure.Identity's
    /// DefaultAzureCredential (a managed identity on Azure), or with the SAS the URI carries.
    /// </summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>The client id of the user-assigned managed identity to use with <see cref="ServiceUri"/>.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The container holding one blob per checkpoint. Created if missing (where the identity may).</summary>
    public string Container { get; set; } = "kavach-witness";

    /// <summary>The append-only file of the file witness (one JSON line per checkpoint).</summary>
    public string? Path { get; set; }

    /// <summary>A stored checkpoint older than this and not in the witness is reported missing from it.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest one append, or one comparison's read of the witness, may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>ConnectionStrings:witness</c>, set from there (not bound from this section).</summary>
    public string? ConnectionString { get; internal set; }

    public WitnessKind EffectiveKind => Kind != WitnessKind.Auto ? Kind
        : !string.IsNullOrWhiteSpace(ConnectionString) || ServiceUri is not null ? WitnessKind.Blob
        : !string.IsNullOrWhiteSpace(Path) ? WitnessKind.File
        : WitnessKind.None;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (GracePeriod < TimeSpan.FromSeconds(1) || GracePeriod > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult($"{Section}:GracePeriod must be between 00:00:01 and 1.00:00:00 (it is {GracePeriod}).", [nameof(GracePeriod)]);
        }

        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > TimeSpan.FromMinutes(5))
        {
            yield return new ValidationResult($"{Section}:Timeout must be between 00:00:01 and 00:05:00 (it is {Timeout}).", [nameof(Timeout)]);
        }

        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (Kind == WitnessKind.Auto && (hasConnectionString || ServiceUri is not null) && !string.IsNullOrWhiteSpace(Path))
        {
            yield return new ValidationResult(
                $"{Section}:Path and a Blob witness (ConnectionStrings:{ConnectionName} or {Section}:ServiceUri) are both set: " +
                $"choose one with {Section}:Kind (blob or file).", [nameof(Path)]);
        }

        switch (EffectiveKind)
        {
            case WitnessKind.Blob:
                foreach (var error in ValidateBlob(hasConnectionString))
                {
                    yield return error;
                }

                break;
            case WitnessKind.File when string.IsNullOrWhiteSpace(Path) || !System.IO.Path.IsPathFullyQualified(Path):
                yield return new ValidationResult($"{Section}:Kind=file needs {Section}:Path, an absolute path (it is '{Path}').", [nameof(Path)]);
                break;
        }
    }

    private IEnumerable<ValidationResult> ValidateBlob(bool hasConnectionString)
    {
        if (hasConnectionString == (ServiceUri is not null))
        {
            yield return new ValidationResult(
                $"{Section}:Kind=blob needs exactly one of ConnectionStrings:{ConnectionName} and {Section}:ServiceUri.", [nameof(ServiceUri)]);
        }

        if (ServiceUri is { } uri && (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)))))
        {
            yield return new ValidationResult(
                $"{Section}:ServiceUri must be an absolute https:// address (http:// only on loopback, for Azurite); it is '{uri}'.", [nameof(ServiceUri)]);
        }

        if (!string.IsNullOrWhiteSpace(ManagedIdentityClientId) && ServiceUri is null)
        {
            yield return new ValidationResult($"{Section}:ManagedIdentityClientId is used only with {Section}:ServiceUri.", [nameof(ManagedIdentityClientId)]);
        }

        if (!ContainerName().IsMatch(Container) || Container.Contains("--", StringComparison.Ordinal))
        {
            yield return new ValidationResult(
                $"{Section}:Container must be 3–63 lower-case letters, digits and single hyphens, starting with a letter or digit (it is '{Container}').",
                [nameof(Container)]);
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}

public enum WitnessKind
{
    Auto,
    None,
    Blob,
    File,
}
