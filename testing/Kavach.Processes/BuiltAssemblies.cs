using System.Reflection;

namespace Kavach.Processes;

/// <summary>
/// Paths of projects built beside the caller and run as separate processes (<c>dotnet X.dll</c>), as the build
/// resolved them: <c>build/RecordProjectOutputs.targets</c> bakes them into the caller's assembly metadata, so the
/// caller runs the configuration (Debug, Release) it was itself built in.
/// </summary>
public static class BuiltAssemblies
{
    public const string StreamApi = "StreamApiAssembly";
    public const string LoadGen = "LoadGenAssembly";
    public const string Floor = "FloorAssembly";
    public const string Benchmarks = "BenchmarksAssembly";
    public const string AppHost = "AppHostAssembly";
    public const string Console = "ConsoleAssembly";

    public static string Find(Assembly recordedIn, string key)
    {
        var recorded = recordedIn.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
        if (string.IsNullOrEmpty(recorded) || !File.Exists(recorded))
        {
            throw new InvalidOperationException(
                $"{key} not found at '{recorded}': build the solution (dotnet build) before running {recordedIn.GetName().Name}.");
        }

        return recorded;
    }
}
