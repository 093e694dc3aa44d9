using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kavach.LoadGen.Measuring;

/// <summary>What every command prints last: one JSON line, with the generator's own wall and CPU time.</summary>
public sealed class Report
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan _cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

    public double Seconds => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    public double CpuSeconds => (Process.GetCurrentProcess().TotalProcessorTime - _cpuBefore).TotalSeconds;

    /// <summary>Prints <paramref name="figures"/> merged with command, seconds, cpuSeconds and the busiest stretch's CPU share.</summary>
    public void Print(string command, object figures)
    {
        var element = JsonSerializer.SerializeToElement(figures, figures.GetType(), Json);
        var merged = new Dictionary<string, object?>
        {
            ["command"] = command,
            ["seconds"] = Math.Round(Seconds, 3),
            ["cpuSeconds"] = Math.Round(CpuSeconds, 3),
        };
        foreach (var property in element.EnumerateObject())
        {
            merged[property.Name] = property.Value;
        }

        Console.Out.WriteLine(JsonSerializer.Serialize(merged, Json));
        Console.Out.Flush();
    }

    public static string Serialize(object value) => JsonSerializer.Serialize(value, value.GetType(), Json);
}
