using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kavach.Client;

/// <summary>
/// The client's OpenTelemetry sources, both named <see cref="Name"/>: add them with
/// <c>tracing.AddSource(KavachClientTelemetry.Name)</c> and <c>metrics.AddMeter(KavachClientTelemetry.Name)</c>.
/// </summary>
public static class KavachClientTelemetry
{
    public const string Name = "Kavach.Client";

    internal static readonly ActivitySource Source = new(Name, typeof(KavachClientTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(Name, typeof(KavachClientTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> ReconnectsCounter = Meter.CreateCounter<long>(
        "kavach.client.stream.reconnects", "{connection}", "Stream connections after the first, by why the previous one ended.");

    private static readonly Counter<long> EventsCounter = Meter.CreateCounter<long>(
        "kavach.client.stream.events", "{event}", "Events delivered to the caller, each once.");

    private static readonly Counter<long> DuplicatesCounter = Meter.CreateCounter<long>(
        "kavach.client.stream.duplicates", "{event}", "Events received again after a resume and not delivered twice.");

    private static readonly Histogram<double> LagHistogram = Meter.CreateHistogram<double>(
        "kavach.client.stream.lag", "s", "From an event's timestamp to its delivery to the caller.");

    internal static void Reconnect(string reason) => ReconnectsCounter.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal static void Delivered(string type, TimeSpan lag)
    {
        var tag = new KeyValuePair<string, object?>("type", type);
        EventsCounter.Add(1, tag);
        LagHistogram.Record(Math.Max(0, lag.TotalSeconds), tag);
    }

    internal static void Duplicate() => DuplicatesCounter.Add(1);
}
