namespace Kavach.AppHost.Infrastructure;

internal static class LocalBinaries
{
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// The directory holding initdb and postgres. Debian keeps them in /usr/lib/postgresql/N/bin; PATH may
    /// hold wrappers or links to them.
    /// </summary>
    public static string? FindPostgresBinDirectory()
    {
        if (FindOnPath("initdb") is { } initdb && FindOnPath("postgres") is not null)
        {
            return Path.GetDirectoryName(ResolveLinks(initdb));
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.GetDirectories(debianRoot)
            .Select(version => Path.Combine(version, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "postgres")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            .FirstOrDefault();
    }

    /// <summary>
    /// Azurite's Blob service: where <c>npm ci --prefix tools/azurite</c> puts it in the repository, else <c>azurite-blob</c>
    /// on PATH. Null without it, or without <c>node</c> to run it.
    /// </summary>
    public static string? FindAzuriteBlob(string repositoryRoot)
    {
        if (FindOnPath("node") is null)
        {
            return null;
        }

        var local = Path.Combine(repositoryRoot, "tools", "azurite", "node_modules", ".bin", "azurite-blob");
        return File.Exists(local) ? local : FindOnPath("azurite-blob");
    }

    private static string ResolveLinks(string path) =>
        new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
}
