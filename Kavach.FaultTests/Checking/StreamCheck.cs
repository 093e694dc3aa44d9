using System.Globalization;
using Kavach.FaultTests.Workload;

namespace Kavach.FaultTests.Checking;

/// <summary>
/// After a database restore, sequences above <see cref="Above"/> were handed out again to new events, from
/// <see cref="At"/> on (when PostgreSQL ran again on the older data).
/// </summary>
public sealed record Reassignment(long Above, long At);

/// <summary>What one follower's stream did wrong, against the committed rows.</summary>
public sealed record StreamVerdict(int Duplicates, int OutOfOrder, int Phantoms, int Missing, IReadOnlyList<string> Problems);

/// <summary>
/// The promise to a follower, checked against PostgreSQL: from where it started to the head, every committed event,
/// once, in order, and nothing PostgreSQL does not hold. A <c>resync</c> starts a new stretch: order and duplicates
/// are judged within a stretch, and after a restore every event committed since must come in the last one.
/// </summary>
public static class StreamCheck
{
    /// <param name="startAfter">The sequence the follower first resumed after.</param>
    /// <param name="rows">Committed rows (sequence → id) from at most <paramref name="startAfter"/> up to <paramref name="head"/>, and any lower sequence the follower received.</param>
    public static StreamVerdict Check(long startAfter, IReadOnlyList<Delivery> deliveries, IReadOnlyList<Resync> resyncs,
        IReadOnlyDictionary<long, string> rows, long head, Reassignment? reassignment = null)
    {
        var problems = new List<string>();
        var lastStretch = resyncs.Count == 0 ? 0 : resyncs[^1].BeforeDelivery;

        var boundaries = resyncs.Select(r => r.BeforeDelivery).Append(deliveries.Count).Prepend(0).Distinct().Order().ToList();
        int duplicates = 0, disorder = 0;
        for (var b = 0; b < boundaries.Count - 1; b++)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var previous = long.MinValue;
            for (var i = boundaries[b]; i < boundaries[b + 1]; i++)
            {
                var d = deliveries[i];
                if (!seen.Add(d.Id))
                {
                    if (++duplicates <= 2)
                    {
                        problems.Add($"duplicate {d.Id} at sequence {d.Sequence} (connection {d.Connection}, replica {d.Replica})");
                    }
                }
                else if (d.Sequence <= previous && ++disorder <= 2)
                {
                    problems.Add($"sequence {d.Sequence} after {previous} (connection {d.Connection}, replica {d.Replica})");
                }

                previous = Math.Max(previous, d.Sequence);
            }
        }

        var phantoms = 0;
        foreach (var d in deliveries)
        {
            if (rows.TryGetValue(d.Sequence, out var stored) && stored == d.Id)
            {
                continue;
            }

            if (reassignment is { } r && d.Sequence > r.Above && d.Received < r.At)
            {
                continue; // real when delivered; the restore rolled it back since
            }

            if (++phantoms <= 3)
            {
                problems.Add(rows.TryGetValue(d.Sequence, out var real)
                    ? $"received {d.Id} as sequence {d.Sequence}, but PostgreSQL holds {real} there (replica {d.Replica})"
                    : $"received {d.Id} as sequence {d.Sequence}, which PostgreSQL does not hold (head {head}, replica {d.Replica})");
            }
        }

        // Rows above a reassignment must come after the last resync; others may have come at any time.
        var mustBeInLastStretch = reassignment is { } reassigned ? Math.Max(reassigned.Above, startAfter) : long.MaxValue;
        var anywhere = deliveries.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var inLastStretch = deliveries.Skip(lastStretch).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var missing = rows
            .Where(row => row.Key > startAfter && row.Key <= head
                && !(row.Key > mustBeInLastStretch ? inLastStretch : anywhere).Contains(row.Value))
            .Select(row => row.Key).Order().ToList();
        if (missing.Count > 0)
        {
            problems.Add($"missing {missing.Count} committed event(s): {Ranges(missing)}");
        }

        return new StreamVerdict(duplicates, disorder, phantoms, missing.Count, problems);
    }

    /// <summary>"12-15, 20" for a sorted list of sequences (the first six ranges).</summary>
    public static string Ranges(IReadOnlyList<long> sequences)
    {
        var parts = new List<string>();
        for (var i = 0; i < sequences.Count && parts.Count < 6;)
        {
            var j = i;
            while (j + 1 < sequences.Count && sequences[j + 1] == sequences[j] + 1)
            {
                j++;
            }

            parts.Add(i == j
                ? sequences[i].ToString(CultureInfo.InvariantCulture)
                : $"{sequences[i].ToString(CultureInfo.InvariantCulture)}-{sequences[j].ToString(CultureInfo.InvariantCulture)}");
            i = j + 1;
        }

        return string.Join(", ", parts) + (parts.Count == 6 ? ", …" : "");
    }
}

/// <summary>The promise to an emitter: an acknowledged event is committed, at the sequence the acknowledgement gave.</summary>
public static class AckCheck
{
    /// <param name="stored">Where PostgreSQL holds each acknowledged id (absent: not stored).</param>
    /// <param name="destroyedByScenario">Acks the scenario itself wiped out (a restored older database): counted apart.</param>
    public static (IReadOnlyList<string> Lost, int Destroyed) Check(IEnumerable<Ack> acks, IReadOnlyDictionary<string, long> stored,
        Func<Ack, bool>? destroyedByScenario = null)
    {
        var lost = new List<string>();
        var destroyed = 0;
        foreach (var ack in acks.OrderBy(a => a.Sequence))
        {
            var kept = stored.TryGetValue(ack.Id, out var sequence);
            if (kept && sequence == ack.Sequence)
            {
                continue;
            }

            if (destroyedByScenario?.Invoke(ack) == true)
            {
                destroyed++;
                continue;
            }

            lost.Add(kept
                ? $"{ack.Id} acked as {ack.Sequence}, stored as {sequence}"
                : $"{ack.Id} (acked as {ack.Sequence} by replica {ack.Replica}) is not stored");
        }

        return (lost, destroyed);
    }
}
