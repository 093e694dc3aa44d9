using System.Text.Json;

namespace Kavach.Benchmarks.Generators;

/// <summary>A latency histogram in microseconds, merged from generators' buckets ([upper bound, count] pairs).</summary>
public sealed class Latency
{
    private readonly SortedDictionary<long, long> _buckets = [];

    public long Count { get; private set; }

    public static Latency From(IEnumerable<JsonElement> histograms)
    {
        var latency = new Latency();
        foreach (var histogram in histograms)
        {
            latency.Add(histogram);
        }

        return latency;
    }

    public void Add(JsonElement histogram)
    {
        if (histogram.ValueKind != JsonValueKind.Object || !histogram.TryGetProperty("buckets", out var buckets))
        {
            return;
        }

        foreach (var bucket in buckets.EnumerateArray())
        {
            var bound = bucket[0].GetInt64();
            var count = bucket[1].GetInt64();
            _buckets[bound] = _buckets.GetValueOrDefault(bound) + count;
            Count += count;
        }
    }

    public void Add(Latency other)
    {
        foreach (var (bound, count) in other._buckets)
        {
            _buckets[bound] = _buckets.GetValueOrDefault(bound) + count;
            Count += count;
        }
    }

    public double Percentile(double quantile)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(quantile * Count);
        long seen = 0;
        foreach (var (bound, count) in _buckets)
        {
            seen += count;
            if (seen >= rank)
            {
                return bound / 1000.0;
            }
        }

        return _buckets.Keys.Last() / 1000.0;
    }

    /// <summary>Milliseconds.</summary>
    public double P50 => Percentile(0.5);

    public double P99 => Percentile(0.99);

    public double Max => Count == 0 ? double.NaN : _buckets.Keys.Last() / 1000.0;

    public override string ToString() => Count == 0 ? "no samples" : $"p50 {Format.Ms(P50)}, p99 {Format.Ms(P99)}, max {Format.Ms(Max)} ({Count:N0} samples)";
}

/// <summary>What the subscribers of a workload saw, summed over their processes.</summary>
public sealed record SubscriberTotals(
    long Connections,
    long Ready,
    long Events,
    long Missing,
    long Duplicates,
    long OutOfOrder,
    long EpochChanges,
    long Resyncs,
    long Reconnects,
    long BehindAtEnd,
    long ShortAtEnd,
    IReadOnlyDictionary<string, long> EndReasons,
    Latency Latency,
    double CpuSeconds)
{
    public long Violations => Missing + Duplicates + OutOfOrder + EpochChanges + Resyncs;

    /// <summary>
    /// Gaps, duplicates and reorderings are broken promises. Streams that had not yet caught up with the last event
    /// when the drain ended (slow, not wrong) are shown apart.
    /// </summary>
    public string Correctness => $"{Missing} / {Duplicates} / {OutOfOrder}"
        + (EpochChanges + Resyncs > 0 ? $" (+{EpochChanges + Resyncs} resync)" : "")
        + (ShortAtEnd > 0 ? $" ({BehindAtEnd} streams {ShortAtEnd:N0} events short when the drain ended)" : "");

    public string Ends => EndReasons.Count == 0 ? "none" : string.Join(", ", EndReasons.Select(e => $"{e.Key} {e.Value}"));

    public static SubscriberTotals From(IReadOnlyList<JsonElement> summaries)
    {
        long Sum(string name) => summaries.Sum(s => s.TryGetProperty(name, out var v) ? v.GetInt64() : 0);
        var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var summary in summaries)
        {
            if (summary.TryGetProperty("endReasons", out var ends) && ends.ValueKind == JsonValueKind.Object)
            {
                foreach (var end in ends.EnumerateObject())
                {
                    reasons[end.Name] = reasons.GetValueOrDefault(end.Name) + end.Value.GetInt64();
                }
            }
        }

        return new SubscriberTotals(Sum("connections"), Sum("ready"), Sum("events"), Sum("missing"), Sum("duplicates"),
            Sum("outOfOrder"), Sum("epochChanges"), Sum("resyncs"), Sum("reconnects"), Sum("behindAtEnd"), Sum("shortAtEnd"), reasons,
            Latency.From(summaries.Select(s => s.GetProperty("latency"))),
            summaries.Sum(s => s.GetProperty("cpuSeconds").GetDouble()));
    }
}

/// <summary>One emit generator's summary.</summary>
public sealed record EmitTotals(long Acked, long AckedTotal, double EventsPerSecond, long Errors, IReadOnlyDictionary<string, long> Statuses,
    Latency RequestLatency, long MaxSequence, JsonElement Phases, double CpuSeconds)
{
    public long Failures => Errors + Statuses.Where(s => s.Key != "201").Sum(s => s.Value);

    public string StatusText => string.Join(", ", Statuses.Select(s => $"{s.Key}×{s.Value:N0}")) + (Errors > 0 ? $", {Errors} socket errors" : "");

    /// <summary>Several emit generators driven together: counts and rates add, latencies merge, phases are the first's.</summary>
    public static EmitTotals Combine(IReadOnlyList<EmitTotals> parts)
    {
        var latency = new Latency();
        foreach (var part in parts)
        {
            latency.Add(part.RequestLatency);
        }

        var statuses = parts.SelectMany(p => p.Statuses).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
        return new EmitTotals(parts.Sum(p => p.Acked), parts.Sum(p => p.AckedTotal), parts.Sum(p => p.EventsPerSecond), parts.Sum(p => p.Errors),
            statuses, latency, parts.Max(p => p.MaxSequence), parts[0].Phases, parts.Sum(p => p.CpuSeconds));
    }

    public static EmitTotals From(JsonElement summary) =>
        new(summary.GetProperty("acked").GetInt64(), summary.GetProperty("ackedTotal").GetInt64(),
            summary.GetProperty("eventsPerSecond").GetDouble(), summary.GetProperty("errors").GetInt64(),
            summary.GetProperty("statuses").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()),
            Latency.From([summary.GetProperty("latency")]), summary.GetProperty("maxSequence").GetInt64(),
            summary.GetProperty("phases").Clone(), summary.GetProperty("cpuSeconds").GetDouble());
}

public static class Format
{
    public static string Ms(double milliseconds) =>
        double.IsNaN(milliseconds) ? "—"
        : milliseconds >= 100 ? $"{milliseconds:N0} ms"
        : milliseconds >= 10 ? $"{milliseconds:0.0} ms"
        : $"{milliseconds:0.00} ms";

    public static string Rate(double perSecond) => $"{perSecond:N0}/s";

    public static string Micros(double microseconds) =>
        double.IsNaN(microseconds) || double.IsInfinity(microseconds) ? "—"
        : microseconds >= 100 ? $"{microseconds:N0} µs"
        : microseconds >= 10 ? $"{microseconds:0.0} µs"
        : $"{microseconds:0.00} µs";

    public static string Bytes(double bytes) =>
        Math.Abs(bytes) >= 1024 * 1024 ? $"{bytes / (1024 * 1024):0.0} MiB" : Math.Abs(bytes) >= 1024 ? $"{bytes / 1024:0.0} KiB" : $"{bytes:0} B";

    public static string Ratio(double ratio) => double.IsNaN(ratio) || double.IsInfinity(ratio) ? "—" : $"{ratio:0.00}×";
}
