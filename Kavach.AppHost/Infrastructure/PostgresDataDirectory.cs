using Microsoft.Extensions.Configuration;
using System.Security.Cryptography;

namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// Where the local PostgreSQL keeps its data between runs (setting <c>Kavach:Postgres:DataDirectory</c>),
/// and the passwords generated for it on first use: the superuser's, the owner's and the service role's.
/// </summary>
internal static class PostgresDataDirectory
{
    public const string SettingKey = "Kavach:Postgres:DataDirectory";
    public const string SuperuserPasswordFile = "superuser-password";
    public const string OwnerPasswordFile = "owner-password";
    public const string AppPasswordFile = "app-password";

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

    /// <summary>
    /// The password made the first time this directory was used (readable by this user only). The superuser's initialised
    /// the data; the owner's and the service role's are set on their roles at every start.
    /// </summary>
    public static string ReadOrCreatePassword(string root, string fileName)
    {
        var file = Path.Combine(root, fileName);
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var created = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            created.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // never readable by others, not even for a moment
        }

        using (var writer = new StreamWriter(file, created))
        {
            writer.Write(password);
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
