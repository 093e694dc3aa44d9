using Kavach.Processes;

namespace Kavach.AttackTests.Harness;

/// <summary>Where the suite keeps its processes' data and logs, and which build of the API it attacks.</summary>
public static class AttackSettings
{
    /// <summary>Temporary data (PostgreSQL's data directory, Redis's configuration): under /tmp, reachable by the postgres user.</summary>
    public static string WorkRoot { get; } = Path.Combine("/tmp", $"kavach-attack-{Environment.ProcessId}");

    /// <summary>Process logs; set from the test run's results directory at assembly start.</summary>
    public static string LogRoot { get; set; } = Path.Combine(Path.GetTempPath(), $"kavach-attack-logs-{Environment.ProcessId}");

    /// <summary>
    /// The Kavach.StreamApi.dll the replicas run: this build's, or another build's named by <c>KAVACH_ATTACK_STREAMAPI</c>
    /// (how the note's "before" column is made: the same attacks against the previous main).
    /// </summary>
    public static string StreamApiAssembly =>
        Environment.GetEnvironmentVariable("KAVACH_ATTACK_STREAMAPI") is { Length: > 0 } other
            ? other
            : BuiltAssemblies.Find(typeof(AttackSettings).Assembly, BuiltAssemblies.StreamApi);

    /// <summary>
    /// Whether the attacked build has the migrate step (<c>Kavach.StreamApi migrate</c>), read from its metadata without
    /// loading it. Builds from before it ran, and are attacked, with the one connection that migrated the schema: the
    /// superuser's.
    /// </summary>
    public static bool AttackedBuildHasMigrateStep { get; } = HasType(StreamApiAssembly, "MigrateCommand");

    private static bool HasType(string assembly, string name)
    {
        using var file = File.OpenRead(assembly);
        using var pe = new System.Reflection.PortableExecutable.PEReader(file);
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return metadata.TypeDefinitions.Any(type => metadata.GetString(metadata.GetTypeDefinition(type).Name) == name);
    }
}
