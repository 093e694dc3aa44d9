namespace Kavach.Benchmarks.Results;

/// <summary>One process's CPU over a measured stretch, and per event of it (null when the stretch had no events).</summary>
public sealed record ProcessCpu(string Name, bool Generator, double CpuSeconds, double? MicrosPerEvent);
