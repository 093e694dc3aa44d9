using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kavach.LoadGen.Measuring;
using Kavach.LoadGen.Protocol;

namespace Kavach.LoadGen.Commands;

/// <summary>
/// Resume by Last-Event-ID, one client at a time: each sample connects with the cursor, and is timed from just before
/// its connect to the arrival of the event <c>count</c> past the cursor; every event in between must arrive once,
/// in order. Prints the latency histogram of the samples.
/// </summary>
public static class ResumeCommand
{
    public static int Run(Arguments arguments)
    {
        var url = arguments.Urls()[0];
        var path = arguments.OptionalText("path") ?? "/api/kavach/events/stream";
        var token = Tokens.From(arguments, "bench-resume");
        var after = arguments.Text("after");
        var count = arguments.Number("count", 1000);
        var samples = (int)arguments.Number("samples", 100);
        var warmup = (int)arguments.Number("warmup-samples", 0);
        var pause = TimeSpan.FromMilliseconds(arguments.Number("pause-ms", 10));
        var timeout = TimeSpan.FromSeconds(arguments.Real("timeout", 120));
        var start = long.Parse(after.AsSpan(after.IndexOf(':') + 1), CultureInfo.InvariantCulture);
        var until = start + count;
        var request = Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.0\r\nHost: {url.Authority}\r\nAccept: text/event-stream\r\nAuthorization: Bearer {token}\r\nLast-Event-ID: {after}\r\n\r\n");

        var report = new Report();
        var latency = new LatencyHistogram();
        var buffer = new byte[256 * 1024];
        long violations = 0, incomplete = 0, events = 0, bytes = 0;
        var statuses = new Dictionary<string, long>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var done = 0;
        for (var i = 0; i < warmup + samples && clock.Elapsed < timeout; i++)
        {
            var measured = i >= warmup;
            var reader = new Reader(start, until);
            var begun = Monotonic.Now;
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 })
            {
                try
                {
                    socket.Connect(IPAddress.Parse(url.Host), url.Port);
                    socket.Send(request);
                    while (!reader.Complete)
                    {
                        var read = socket.Receive(buffer);
                        if (read == 0)
                        {
                            break;
                        }

                        bytes += measured ? read : 0;
                        reader.Feed(buffer.AsSpan(0, read), Monotonic.Now);
                    }
                }
                catch (SocketException)
                {
                }
            }

            if (!measured)
            {
                Thread.Sleep(pause);
                continue;
            }

            done++;
            var status = reader.Status.ToString(CultureInfo.InvariantCulture);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            events += reader.Check.Events;
            if (reader.Complete)
            {
                latency.Record((reader.CompletedAt - begun) / 1000);
            }
            else
            {
                incomplete++;
            }

            violations += reader.Check.MissingAt(until) + reader.Check.Duplicates + reader.Check.OutOfOrder;
            Thread.Sleep(pause);
        }

        report.Print("resume", new
        {
            samples = done,
            warmup,
            count,
            after,
            events,
            bytesPerSample = done > 0 ? bytes / done : 0,
            incomplete,
            violations,
            statuses,
            latency = latency.Summarize(),
        });
        return violations == 0 && incomplete == 0 && done == samples ? 0 : 1;
    }

    private sealed class Reader(long start, long until) : SseParser
    {
        public OrderCheck Check { get; } = new(start);

        public bool Complete { get; private set; }

        public long CompletedAt { get; private set; }

        protected override void OnEvent(long epoch, long sequence, long stamp, long receivedNanos)
        {
            if (Complete)
            {
                return;
            }

            Check.See(epoch, sequence);
            if (sequence >= until)
            {
                Complete = true;
                CompletedAt = receivedNanos;
            }
        }

        protected override void OnNamed(EventKind kind, string? code)
        {
        }
    }
}
