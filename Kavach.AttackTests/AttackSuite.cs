using Kavach.AttackTests.Harness;
using Kavach.Processes;

// Two cores, and attacks that measure a replica's memory: one attack at a time.
[assembly: DoNotParallelize]

// Signals by PID and /proc: the harness is for Linux, where CI and the local processes run.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Kavach.AttackTests;

/// <summary>Starts the cluster under attack once for the run, and prints every attack's outcome at the end.</summary>
[TestClass]
public static class AttackSuite
{
    private static AttackCluster? s_cluster;

    public static AttackCluster Cluster => s_cluster ?? throw new InvalidOperationException("The cluster is not started.");

    [AssemblyInitialize]
    public static async Task StartAsync(TestContext context)
    {
        var results = context.TestRunResultsDirectory ?? context.TestResultsDirectory ?? Path.GetTempPath();
        AttackSettings.LogRoot = Path.Combine(results, "attack-suite");
        Directory.CreateDirectory(AttackSettings.LogRoot);
        Directory.CreateDirectory(AttackSettings.WorkRoot);

        // PostgreSQL runs as the postgres user when this runs as root: it must be able to reach its directory.
        File.SetUnixFileMode(AttackSettings.WorkRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        ProcessRegistry.Initialize(AttackSettings.WorkRoot);
        s_cluster = await AttackCluster.StartAsync("attack");
        context.WriteLine($"Attack suite: {AttackSettings.StreamApiAssembly}; logs in {AttackSettings.LogRoot}");
    }

    [AssemblyCleanup]
    public static async Task StopAsync()
    {
        if (s_cluster is not null)
        {
            await s_cluster.DisposeAsync();
        }

        ProcessRegistry.KillAll();
        try
        {
            Directory.Delete(AttackSettings.WorkRoot, recursive: true);
        }
        catch (IOException)
        {
        }

        Console.WriteLine(Findings.Render());
    }
}
