namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// Finds the local programs the AppHost can run (initdb and postgres, redis-server, node and Azurite, a container
/// engine) in the directories of one search path: <c>Kavach:SearchPath</c> when set, else <c>PATH</c>. Taking it as a
/// value rather than reading the environment lets a caller ask "what if redis-server were missing" without changing
/// the process's PATH for everyone else.
/// </summary>
internal sealed class LocalBinaries(string searchPath)
{
    public string? FindOnPath(string name) =>
        searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// The directory holding initdb and postgres. Debian keeps them in /usr/lib/postgresql/N/bin; PATH may
    /// hold wrappers or links to them.
    /// </summary>
    public string? FindPostgresBinDirectory()
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
    /// on the search path. Null without it, or without <c>node</c> to run it.
    /// </summary>
    public string? FindAzuriteBlob(string repositoryRoot)
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
