using Kavach.FaultTests.Checking;
using Kavach.Processes;

// Two cores: one scenario at a time, each with the machine to itself.
[assembly: DoNotParallelize]

// Signals by PID, setpriv, /proc/net/tcp: the harness is for Linux, where CI and the local processes run.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Kavach.FaultTests;

/// <summary>Run-wide set-up and the last net for processes: whatever is still running at the end is killed by PID.</summary>
[TestClass]
public static class FaultSuite
{
    [AssemblyInitialize]
    public static void Initialize(TestContext context)
    {
        // MSTest's results directory (the test output directory unless deployment is on), or KAVACH_FAULT_RESULTS.
        var results = context.TestRunResultsDirectory ?? context.TestResultsDirectory ?? Path.GetTempPath();
        SuiteSettings.LogRoot = Environment.GetEnvironmentVariable("KAVACH_FAULT_RESULTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(results, "fault-suite");
        Directory.CreateDirectory(SuiteSettings.LogRoot);

        // PostgreSQL runs as the postgres user when this runs as root: it must be able to reach its directory.
        Directory.CreateDirectory(SuiteSettings.WorkRoot);
        File.SetUnixFileMode(SuiteSettings.WorkRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        ProcessRegistry.Initialize(SuiteSettings.WorkRoot);
        context.WriteLine($"Fault suite: logs and figures in {SuiteSettings.LogRoot}");
    }

    [AssemblyCleanup]
    public static void Cleanup()
    {
        var leftovers = ProcessRegistry.Running;
        ProcessRegistry.KillAll();
        try
        {
            Directory.Delete(SuiteSettings.WorkRoot, recursive: true);
        }
        catch (IOException)
        {
        }

        // Console, not the context: at assembly clean-up it lands in the run's output rather than one test's.
        Console.WriteLine(FiguresTable.RenderAll());
        if (leftovers.Count > 0)
        {
            Console.WriteLine($"Killed {leftovers.Count} process(es) left running: {string.Join(", ", leftovers.Select(p => $"{p.Name} ({p.Pid})"))}");
        }
    }
}
