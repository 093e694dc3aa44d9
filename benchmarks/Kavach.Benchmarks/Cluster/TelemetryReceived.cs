using System.Text.Json;
using Kavach.Benchmarks.Generators;

namespace Kavach.Benchmarks.Cluster;

/// <summary>An OTLP sink's counts: export requests, bytes as sent, and spans, metrics and log records.</summary>
public sealed record TelemetryReceived(long Requests, long Bytes, long Spans, long Metrics, long LogRecords)
{
    public static TelemetryReceived From(JsonElement counts)
    {
        long Field(string signal, string name) => counts.GetProperty(signal).GetProperty(name).GetInt64();
        return new TelemetryReceived(
            Field("traces", "requests") + Field("metrics", "requests") + Field("logs", "requests"),
            Field("traces", "bytes") + Field("metrics", "bytes") + Field("logs", "bytes"),
            Field("traces", "items"), Field("metrics", "items"), Field("logs", "items"));
    }

    public static TelemetryReceived operator -(TelemetryReceived after, TelemetryReceived before) =>
        new(after.Requests - before.Requests, after.Bytes - before.Bytes, after.Spans - before.Spans,
            after.Metrics - before.Metrics, after.LogRecords - before.LogRecords);

    /// <summary>Per 1,000 of <paramref name="events"/>.</summary>
    public string PerThousand(long events)
    {
        var scale = 1000.0 / Math.Max(1, events);
        return $"{Requests * scale:0.0} export requests, {Format.Bytes(Bytes * scale)}, {Spans * scale:N0} spans, " +
            $"{Metrics * scale:0.0} metrics, {LogRecords * scale:0.0} log records per 1,000 acknowledged emits " +
            $"({Requests:N0} requests, {Format.Bytes(Bytes)} in all)";
    }
}
