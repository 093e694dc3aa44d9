using Kavach.Processes;

namespace Kavach.FaultTests.Harness;

/// <summary>
/// samples/tail.cs, built once into a directory of its own and run as <c>dotnet tail.dll</c> (one process, owned by
/// PID, whose output goes to a log), so a test can read what it printed and stop it with Ctrl+C.
/// </summary>
public sealed class TailSample
{
    private readonly string _assembly;
    private readonly string _logDirectory;

    private TailSample(string assembly, string logDirectory)
    {
        _assembly = assembly;
        _logDirectory = logDirectory;
    }

    public static async Task<TailSample> BuildAsync(string outputDirectory, string logDirectory)
    {
        var root = RepositoryRoot();
        var build = ChildProcess.Start("tail-sample-build", ApiReplica.DotnetHost,
            ["build", Path.Combine(root, "samples", "tail.cs"), "-o", outputDirectory, "-nologo", "-v", "quiet"],
            new Dictionary<string, string>(), Path.Combine(logDirectory, "tail-sample-build.log"), root);
        await build.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, build.ExitCode, "dotnet build samples/tail.cs:\n" + build.LogTail(40));
        return new TailSample(Path.Combine(outputDirectory, "tail.dll"), logDirectory);
    }

    public Running Start(Uri api, string token)
    {
        var log = Path.Combine(_logDirectory, $"tail-sample-{DateTime.UtcNow:HHmmss}.log");
        var process = ChildProcess.Start("tail-sample", ApiReplica.DotnetHost, [_assembly, api.ToString()],
            new Dictionary<string, string> { ["KAVACH_TOKEN"] = token }, log);
        return new Running(process);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kavach.Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Kavach.Aspire.sln) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>A running tail: what it printed so far.</summary>
    public sealed class Running(ChildProcess process)
    {
        public string Output => File.Exists(process.LogPath) ? File.ReadAllText(process.LogPath) : "";

        /// <summary>The printed events as (sequence, id): lines "position type agent=… user=… id=… data=…".</summary>
        public IReadOnlyList<(long Sequence, string Id)> Events =>
        [
            .. Output.Split('\n')
                .Where(line => line.Length > 0 && char.IsAsciiDigit(line[0]))
                .Select(line => line.Split(' '))
                .Select(fields => (long.Parse(fields[0].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture),
                    fields.First(f => f.StartsWith("id=", StringComparison.Ordinal))[3..])),
        ];

        /// <summary>
        /// SIGTERM, as a service manager would (the sample treats it as Ctrl+C). Not SIGINT: a test host started in the
        /// background of a non-interactive shell passes SIGINT on as ignored, and the sample would never see it.
        /// </summary>
        public async Task StopAsync()
        {
            if (!process.HasExited)
            {
                await process.TerminateAsync(TimeSpan.FromSeconds(10));
            }
        }
    }
}
