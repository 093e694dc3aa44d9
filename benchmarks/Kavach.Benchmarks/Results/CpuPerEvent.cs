using Kavach.Benchmarks.Generators;

namespace Kavach.Benchmarks.Results;

/// <summary>
/// What each process spent per event over one measured stretch: CPU seconds over the stretch divided by the events
/// of the stretch — acknowledged events for emit workloads, delivered events for delivery workloads, rows for
/// PostgreSQL's own rate, streams opened for idle streams (<see cref="Per"/> says which). A goal such as "the
/// replicas' CPU per emit ≤ 3 × the floor's per request" reads as the ratio of two of these from the same run.
/// </summary>
public sealed record CpuPerEvent(string Measured, string Per, long Events, IReadOnlyList<ProcessCpu> Processes)
{
    public static CpuPerEvent From(string measured, string per, long events, CpuReading cpu) =>
        new(measured, per, events,
        [
            .. cpu.Servers.Select(s => new ProcessCpu(s.Name, false, s.Seconds, PerEvent(s.Seconds, events))),
            .. cpu.Generators.Select(g => new ProcessCpu(g.Name, true, g.Seconds, PerEvent(g.Seconds, events))),
        ]);

    /// <summary>Microseconds per event of the processes that match, added up.</summary>
    public double Micros(Func<string, bool> which) => MicrosOf(Processes.Where(p => which(p.Name)).Sum(p => p.CpuSeconds), Events);

    public double Micros(string name) => Micros(p => p == name);

    /// <summary>The servers, replicas added up: "replicas 180 µs, postgres 40 µs, redis 2.10 µs" (the floor: "floor 30.0 µs").</summary>
    public string Short => string.Join(", ", Processes.Where(p => !p.Generator).GroupBy(p => CpuReading.Group(p.Name))
        .Select(g => $"{g.Key} {Format.Micros(MicrosOf(g.Sum(p => p.CpuSeconds), Events))}"));

    /// <summary>Every process on its own, generators too.</summary>
    public string Text =>
        $"**{Measured}**, CPU per {Per} ({Events:N0}): " +
        string.Join(", ", Processes.Where(p => !p.Generator).Select(p => $"{p.Name} {Format.Micros(p.MicrosPerEvent ?? double.NaN)}")) +
        (Processes.Any(p => p.Generator)
            ? "; generators " + string.Join(", ", Processes.Where(p => p.Generator).Select(p => $"{p.Name} {Format.Micros(p.MicrosPerEvent ?? double.NaN)}"))
            : "") + ".";

    /// <summary>The table's column: each measurement's <see cref="Short"/>, then what "per" means.</summary>
    public static string Column(params CpuPerEvent[] measurements) =>
        string.Join("; ", measurements.Select(m => m.Short)) + $" — per {measurements[0].Per}";

    private static double MicrosOf(double seconds, long events) => events > 0 ? seconds / events * 1e6 : double.NaN;

    private static double? PerEvent(double seconds, long events) => events > 0 ? seconds / events * 1e6 : null;
}
