using System.Runtime.InteropServices;

namespace Kavach.Processes;

public static partial class Posix
{
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static bool IsRoot => geteuid() == 0;

    /// <summary>Clock ticks per second of the CPU times in /proc/&lt;pid&gt;/stat (sysconf(_SC_CLK_TCK)).</summary>
    public static long ClockTicksPerSecond { get; } = sysconf(ScClkTck) is > 0 and var ticks ? ticks : 100;

    private const int ScClkTck = 2;

    /// <summary>kill(2): 0 on success.</summary>
    public static int Signal(int pid, int signal) => kill(pid, signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc")]
    private static partial long sysconf(int name);
}
