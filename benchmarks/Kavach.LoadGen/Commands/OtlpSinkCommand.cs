using Kavach.LoadGen.Measuring;
using Kavach.LoadGen.Telemetry;

namespace Kavach.LoadGen.Commands;

/// <summary>
/// The OTLP sink as a process of its own (see <see cref="OtlpSink"/>): ready once it listens, and when told to stop
/// (or after <c>--timeout</c>) prints what it received and its own CPU, like every generator.
/// </summary>
public static class OtlpSinkCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var control = new Control(arguments.OptionalText("control"));
        var timeout = TimeSpan.FromSeconds(arguments.Real("timeout", 24 * 3600));
        var report = new Report();
        var sink = await OtlpSink.StartAsync((int)arguments.Number("port", 0));
        await using (sink)
        {
            await sink.WarmUpAsync();
            control.Ready(sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Console.Error.WriteLine($"otlp-sink listening on http://127.0.0.1:{sink.Port}");
            while (control.StopRequested() is null && report.Seconds < timeout.TotalSeconds)
            {
                await Task.Delay(100);
            }
        }

        report.Print("otlp-sink", new { port = sink.Port, received = sink.Counts.Snapshot() });
        return 0;
    }
}
