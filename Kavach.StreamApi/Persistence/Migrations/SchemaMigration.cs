using System.Globalization;
using System.Reflection;

namespace Kavach.StreamApi.Persistence.Migrations;

/// <summary>
/// One versioned step of the schema: an embedded <c>NNNN_name.sql</c> beside this file. Steps are never edited once
/// released; a change is a new file with the next number.
/// </summary>
public sealed record SchemaMigration(int Version, string Name, string Sql)
{
    private const string ResourcePrefix = "Kavach.StreamApi.Persistence.Migrations.";

    /// <summary>Every migration this build knows, in version order, numbered 1, 2, 3… without gaps.</summary>
    public static IReadOnlyList<SchemaMigration> All { get; } = Load(typeof(SchemaMigration).Assembly);

    public static int LatestVersion => All[^1].Version;

    private static List<SchemaMigration> Load(Assembly assembly)
    {
        var migrations = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name =>
            {
                var file = name[ResourcePrefix.Length..^".sql".Length];
                using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
                return new SchemaMigration(int.Parse(file[..4], CultureInfo.InvariantCulture), file[5..], reader.ReadToEnd());
            })
            .OrderBy(m => m.Version)
            .ToList();

        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Schema migrations must be numbered 1, 2, 3… without gaps; found {migrations[i].Version} at position {i + 1}.");
            }
        }

        return migrations;
    }
}
