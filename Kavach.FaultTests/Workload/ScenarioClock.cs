using System.Diagnostics;

namespace Kavach.FaultTests.Workload;

/// <summary>Monotonic time since the scenario started, shared by everything that records a moment.</summary>
public sealed class ScenarioClock
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public long Now => Stopwatch.GetTimestamp();

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_origin);

    public TimeSpan At(long timestamp) => Stopwatch.GetElapsedTime(_origin, timestamp);

    public static TimeSpan Between(long from, long to) => Stopwatch.GetElapsedTime(from, to);
}

/// <summary>
/// When faults were in force. A 503 is an honest answer during an outage (nothing stored, retry); the same
/// answer outside every fault window, or any other 5xx, is a server failure on valid input.
/// </summary>
public sealed class FaultWindows(ScenarioClock clock)
{
    /// <summary>After a fault ends, answers already on their way may still say 503.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    private readonly Lock _gate = new();
    private readonly List<Window> _windows = [];

    public sealed class Window
    {
        public required string What { get; init; }

        public required long Start { get; init; }

        public long? End { get; set; }
    }

    public Window Begin(string what)
    {
        var window = new Window { What = what, Start = clock.Now };
        lock (_gate)
        {
            _windows.Add(window);
        }

        return window;
    }

    public void End(Window window) => window.End = clock.Now;

    public IReadOnlyList<Window> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _windows];
            }
        }
    }

    /// <summary>Whether a request that ran from <paramref name="start"/> to <paramref name="end"/> overlapped a fault.</summary>
    public bool Overlaps(long start, long end)
    {
        var grace = (long)(Grace.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            return _windows.Any(w => start <= (w.End ?? long.MaxValue - grace) + grace && end >= w.Start);
        }
    }
}
