using System.Numerics;
using System.Text.Json.Serialization;

namespace Kavach.LoadGen.Measuring;

/// <summary>
/// Latencies in microseconds, exact below 128 µs and within 1/64 (1.6 %) above, up to about two years; recorded
/// from any thread without locks. Written out as its non-empty buckets, each named by its upper bound, so summaries
/// from several processes merge exactly by adding counts per bound.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Linear = 128;
    private const int SubBuckets = 64;
    private const int Shifts = 40;
    private readonly long[] _counts = new long[Linear + Shifts * SubBuckets];

    public void Record(long micros)
    {
        micros = Math.Clamp(micros, 0, (1L << (Shifts + 6)) - 1);
        Interlocked.Increment(ref _counts[Index(micros)]);
    }

    public long Count => _counts.Sum();

    public HistogramSummary Summarize()
    {
        var buckets = new List<long[]>();
        for (var i = 0; i < _counts.Length; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count > 0)
            {
                buckets.Add([UpperBound(i), count]);
            }
        }

        return HistogramSummary.From(buckets);
    }

    private static int Index(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        // value >> shift lies in [64, 127]: 64 sub-buckets per power of two.
        var shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - 6;
        return Linear + (shift - 1) * SubBuckets + (int)((value >> shift) - SubBuckets);
    }

    private static long UpperBound(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var shift = (index - Linear) / SubBuckets + 1;
        var mantissa = (index - Linear) % SubBuckets + SubBuckets;
        return ((mantissa + 1L) << shift) - 1;
    }
}

/// <summary>A histogram as printed: count, percentiles (µs) and the buckets as [upper bound µs, count] pairs.</summary>
public sealed record HistogramSummary(
    long Count,
    long P50,
    long P90,
    long P99,
    long P999,
    long Max,
    [property: JsonPropertyName("buckets")] IReadOnlyList<long[]> Buckets)
{
    public static readonly HistogramSummary Empty = new(0, 0, 0, 0, 0, 0, []);

    public static HistogramSummary From(IReadOnlyList<long[]> buckets)
    {
        var count = buckets.Sum(b => b[1]);
        if (count == 0)
        {
            return Empty;
        }

        long At(double quantile)
        {
            var rank = (long)Math.Ceiling(quantile * count);
            long seen = 0;
            foreach (var bucket in buckets)
            {
                seen += bucket[1];
                if (seen >= rank)
                {
                    return bucket[0];
                }
            }

            return buckets[^1][0];
        }

        return new HistogramSummary(count, At(0.5), At(0.9), At(0.99), At(0.999), buckets[^1][0], buckets);
    }
}
