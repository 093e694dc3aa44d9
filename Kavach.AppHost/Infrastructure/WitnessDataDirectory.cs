using Microsoft.Extensions.Configuration;

namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// Where the local witness keeps the checkpoints between runs (setting <c>Kavach:Witness:DataDirectory</c>): Azurite's
/// blobs, or the append-only file when Azurite is not installed. Created when the witness first starts.
/// </summary>
internal static class WitnessDataDirectory
{
    public const string SettingKey = "Kavach:Witness:DataDirectory";

    public static string Resolve(IConfiguration configuration)
    {
        var configured = configuration[SettingKey];
        if (string.IsNullOrWhiteSpace(configured))
        {
            return Environment.IsPrivilegedProcess
                ? "/var/lib/kavach-aspire/witness"
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "kavach-aspire", "witness");
        }

        return Path.IsPathFullyQualified(configured)
            ? configured
            : throw new DistributedApplicationException($"Setting '{SettingKey}' must be an absolute path; it is '{configured}'.");
    }

    /// <summary>The file witness's file, when there is no Azurite.</summary>
    public static string File(string root) => Path.Combine(root, "checkpoints.jsonl");

    public static string Azurite(string root) => Path.Combine(root, "azurite");
}
