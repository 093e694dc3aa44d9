using Kavach.LoadGen.Measuring;
using Kavach.LoadGen.Webhooks;

namespace Kavach.LoadGen.Commands;

/// <summary>
/// The webhook receiver as a process of its own (see <see cref="WebhookSink"/>): ready once it listens (its port in the
/// ready file), and when told to stop (or after <c>--timeout</c>) prints what it received and its own CPU, like every
/// generator.
/// </summary>
public static class WebhookSinkCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var control = new Control(arguments.OptionalText("control"));
        var timeout = TimeSpan.FromSeconds(arguments.Real("timeout", 24 * 3600));
        var report = new Report();
        var sink = await WebhookSink.StartAsync((int)arguments.Number("port", 0), arguments.Flag("verify"));
        await using (sink)
        {
            await sink.WarmUpAsync();
            control.Ready(sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Console.Error.WriteLine($"webhook-sink listening on http://127.0.0.1:{sink.Port}");
            while (control.StopRequested() is null && report.Seconds < timeout.TotalSeconds)
            {
                await Task.Delay(100);
            }
        }

        report.Print("webhook-sink", new { port = sink.Port, deliveries = sink.Deliveries, bytes = sink.Bytes });
        return 0;
    }
}
