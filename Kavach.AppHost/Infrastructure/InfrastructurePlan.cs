using System.Diagnostics;

namespace Kavach.AppHost.Infrastructure;

/// <summary>
/// Decides, once at start-up, how PostgreSQL and Redis will run, and the checkpoint witness (Azurite, an executable in
/// both run modes: Aspire's Azure Storage hosting package is not available here), and fails fast on a setting that cannot work.
/// </summary>
public sealed record InfrastructurePlan(bool UseContainers, string? PostgresBinDirectory, string? RedisServerPath)
{
    /// <summary>Azurite's <c>azurite-blob</c>; null in publish mode (infra/ provisions the witness) or when it is not installed.</summary>
    public string? AzuriteBlobPath { get; private init; }

    /// <summary>
    /// Publish mode: PostgreSQL and Redis are managed services provisioned outside the AppHost (infra/), reached through
    /// secret connection-string parameters. Never containers: on Azure Container Apps a data volume is an Azure Files
    /// share where PostgreSQL's initdb fails, and an audit log does not belong in a container.
    /// </summary>
    public bool UseConnectionStrings { get; private init; }

    public const string ModeKey = "Kavach:Infrastructure";
    public const string PostgresBinKey = "Kavach:Postgres:BinDirectory";
    public const string AzuriteKey = "Kavach:Azurite:Binary";
    public const string SearchPathKey = "Kavach:SearchPath";

    public bool HasRedis => UseConnectionStrings || UseContainers || RedisServerPath is not null;

    public static InfrastructurePlan Resolve(IDistributedApplicationBuilder builder)
    {
        var mode = ParseMode(builder.Configuration[ModeKey]);

        // A deployment manifest must name managed services or images, never paths on this machine.
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new InfrastructurePlan(UseContainers: false, null, null) { UseConnectionStrings = true };
        }

        var binaries = new LocalBinaries(builder.Configuration[SearchPathKey] ?? Environment.GetEnvironmentVariable("PATH") ?? "");
        var azurite = ConfiguredAzurite(builder.Configuration[AzuriteKey])
            ?? binaries.FindAzuriteBlob(Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..")));
        if (mode == InfrastructureMode.Containers || (mode == InfrastructureMode.Auto && ContainerEngineAnswers(binaries)))
        {
            return new InfrastructurePlan(UseContainers: true, null, null) { AzuriteBlobPath = azurite };
        }

        var postgresBin = ConfiguredPostgresBin(builder.Configuration[PostgresBinKey])
            ?? binaries.FindPostgresBinDirectory()
            ?? throw new DistributedApplicationException(
                "PostgreSQL is not available: no container engine (Docker or Podman) answers and no local PostgreSQL " +
                "server binaries (initdb, postgres) were found on PATH or under /usr/lib/postgresql/*/bin. " +
                "Install one of them, e.g. 'apt-get install postgresql' or Docker, then start again.");

        return new InfrastructurePlan(UseContainers: false, postgresBin, binaries.FindOnPath("redis-server")) { AzuriteBlobPath = azurite };
    }

    private static string? ConfiguredAzurite(string? path) =>
        string.IsNullOrWhiteSpace(path) ? null
        : File.Exists(path) ? Path.GetFullPath(path)
        : throw new DistributedApplicationException($"Setting '{AzuriteKey}' points to '{path}', which is not a file (Azurite's azurite-blob).");

    private static string? ConfiguredPostgresBin(string? directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            return null;
        }

        return File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "postgres"))
            ? Path.GetFullPath(directory)
            : throw new DistributedApplicationException(
                $"Setting '{PostgresBinKey}' points to '{directory}', which does not hold the PostgreSQL server programs initdb and postgres.");
    }

    private static InfrastructureMode ParseMode(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return InfrastructureMode.Auto;
        }

        return Enum.TryParse<InfrastructureMode>(value, ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new DistributedApplicationException(
                $"Setting '{ModeKey}' has the unknown value '{value}'. Use 'auto' (default), 'containers' or 'local'.");
    }

    /// <summary>Asks the engine Aspire would use (ASPIRE_CONTAINER_RUNTIME, else docker, then podman) whether it runs.</summary>
    private static bool ContainerEngineAnswers(LocalBinaries binaries)
    {
        var preferred = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        string[] engines = string.IsNullOrWhiteSpace(preferred) ? ["docker", "podman"] : [preferred];
        return engines.Any(engine => EngineAnswers(binaries, engine));
    }

    private static bool EngineAnswers(LocalBinaries binaries, string engine)
    {
        if (binaries.FindOnPath(engine) is not { } path)
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(path, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
