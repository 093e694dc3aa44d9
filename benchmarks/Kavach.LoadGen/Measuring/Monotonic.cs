using System.Diagnostics;

namespace Kavach.LoadGen.Measuring;

/// <summary>
/// The machine's monotonic clock in nanoseconds (Stopwatch is CLOCK_MONOTONIC on Linux), the same in every process
/// on the machine: an emitter stamps events with it and a subscriber in another process measures against it.
/// </summary>
public static class Monotonic
{
    private static readonly double NanosPerTick = 1e9 / Stopwatch.Frequency;

    public static long Now => (long)(Stopwatch.GetTimestamp() * NanosPerTick);

    public static long ToNanos(long stopwatchTimestamp) => (long)(stopwatchTimestamp * NanosPerTick);
}
