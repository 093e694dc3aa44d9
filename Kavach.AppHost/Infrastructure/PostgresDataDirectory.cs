using Microsoft.Extensions.Configuration;
using System.Security.Cryptography;

namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// Where the local PostgreSQL keeps its data between runs (setting <c>Kavach:Postgres:DataDirectory</c>),
/// and the superuser password generated for it on first use.
/// </summary>
internal static class PostgresDataDirectory
{
    public const string SettingKey = "Kavach:Postgres:DataDirectory";

    public static string Resolve(IConfiguration configuration)
    {
        var configured = configuration[SettingKey];
        var root = string.IsNullOrWhiteSpace(configured) ? DefaultRoot() : Path.GetFullPath(configured);

        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(root, e.Message);
        }

        if (Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows())
        {
            // postgres runs as the 'postgres' OS user, which must be able to walk down to its data.
            for (var dir = new DirectoryInfo(root); dir is not null; dir = dir.Parent)
            {
                if (dir.UnixFileMode is var mode && !mode.HasFlag(UnixFileMode.OtherExecute))
                {
                    throw Unusable(root, $"'{dir.FullName}' is not reachable by the 'postgres' OS user (no o+x). Use a directory under /var/lib or /tmp");
                }
            }
        }

        return root;
    }

    /// <summary>The password made the first time this directory was used; the data was initialised with it.</summary>
    public static string ReadOrCreatePassword(string root)
    {
        var file = Path.Combine(root, "superuser-password");
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        File.WriteAllText(file, password);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return password;
    }

    public static string PgData(string root) => Path.Combine(root, "pgdata");

    private static string DefaultRoot() => Environment.IsPrivilegedProcess
        ? "/var/lib/kavach-aspire/postgres"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "kavach-aspire", "postgres");

    private static DistributedApplicationException Unusable(string root, string why) =>
        new($"Setting '{SettingKey}' points to '{root}', which cannot be used: {why}.");
}
