using System.Buffers.Text;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Kavach.LoadGen.Measuring;
using Kavach.LoadGen.Protocol;

namespace Kavach.LoadGen.Commands;

/// <summary>
/// M concurrent emitters, each a raw HTTP/1.1 keep-alive connection with an emit token, posting one event or a batch
/// per request, closed-loop (the next request as soon as the answer is in) or at a rate, through a schedule of
/// phases (a warm-up, then one or more measured steps). Every event carries its send time (<c>"t"</c>, monotonic
/// nanoseconds) for the subscribers' latency. Acknowledgements (201) are counted per phase and request latency kept
/// in a histogram; the highest sequence any answer names is reported.
/// </summary>
public sealed class EmitCommand
{
    private readonly IReadOnlyList<Uri> _urls;
    private readonly string _path;
    private readonly string _token;
    private readonly int _connections;
    private readonly int _batch;
    private readonly byte[] _padding;
    private readonly string _type;
    private readonly Phase[] _phases;
    private readonly long _startAt;
    private readonly LatencyHistogram _latency = new();
    private readonly Report _report = new();
    private readonly Dictionary<int, long> _statuses = [];
    private long _errors;
    private long _maxSequence;

    private EmitCommand(Arguments arguments)
    {
        _urls = arguments.Urls();
        _path = arguments.OptionalText("path") ?? "/api/kavach/events";
        _token = Tokens.From(arguments, "bench-emitter", emit: true);
        _connections = (int)arguments.Number("connections", 1);
        _batch = (int)arguments.Number("batch", 1);
        _padding = Encoding.ASCII.GetBytes(new string('x', (int)arguments.Number("pad", 48)));
        _type = arguments.OptionalText("type") ?? "audit";
        var warmup = arguments.Real("warmup", 0);
        var steps = arguments.OptionalText("steps") is { } text
            ? text.Split(',').Select(s => s.Split(':')).Select(p => (Rate: double.Parse(p[0], CultureInfo.InvariantCulture), Seconds: double.Parse(p[1], CultureInfo.InvariantCulture))).ToList()
            : [(Rate: arguments.Real("rate", 0), Seconds: arguments.Real("duration", 10))];
        var phases = new List<Phase>();
        if (warmup > 0)
        {
            phases.Add(new Phase(steps[0].Rate, warmup, Measured: false));
        }

        phases.AddRange(steps.Select(s => new Phase(s.Rate, s.Seconds, Measured: true)));
        _phases = [.. phases];
        _startAt = arguments.Number("start-at", 0);
    }

    public static async Task<int> RunAsync(Arguments arguments)
    {
        var command = new EmitCommand(arguments);
        return await command.RunAsync();
    }

    private async Task<int> RunAsync()
    {
        // --start-at: the first phase begins at that monotonic instant (subscribers bucket latency on the same grid).
        var wait = _startAt - Monotonic.Now;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromTicks(wait / 100));
        }

        var origin = Math.Max(_startAt, Monotonic.Now);
        var at = origin;
        foreach (var phase in _phases)
        {
            phase.StartNanos = at;
            at += (long)(phase.Seconds * 1e9);
            phase.EndNanos = at;
        }

        await Task.WhenAll(Enumerable.Range(0, _connections).Select(i => Task.Run(() => EmitterAsync(i))));

        var measured = _phases.Where(p => p.Measured).ToList();
        var acked = measured.Sum(p => p.Acked);
        var seconds = measured.Sum(p => p.Seconds);
        _report.Print("emit", new
        {
            connections = _connections,
            batch = _batch,
            acked,
            ackedTotal = _phases.Sum(p => p.Acked),
            requests = measured.Sum(p => p.Requests),
            eventsPerSecond = seconds > 0 ? Math.Round(acked / seconds, 1) : 0,
            statuses = _statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
            errors = _errors,
            maxSequence = _maxSequence,
            latency = _latency.Summarize(),
            phases = _phases.Select(p => new
            {
                rate = p.Rate,
                seconds = p.Seconds,
                measured = p.Measured,
                startNanos = p.StartNanos,
                endNanos = p.EndNanos,
                requests = p.Requests,
                acked = p.Acked,
                behind = p.Behind,
            }),
        });
        return _errors == 0 && _statuses.Keys.All(s => s == 201) ? 0 : 1;
    }

    private async Task EmitterAsync(int index)
    {
        var url = _urls[index % _urls.Count];
        using var connection = new HttpConnection(url);
        var prefix = Encoding.ASCII.GetBytes(
            $"POST {_path} HTTP/1.1\r\nHost: {url.Authority}\r\nAuthorization: Bearer {_token}\r\nContent-Type: application/json\r\nContent-Length: ");
        var agent = Encoding.ASCII.GetBytes($"bench-{index}");
        var request = new byte[prefix.Length + 32 + _batch * (96 + agent.Length + _padding.Length + _type.Length)];
        var end = _phases[^1].EndNanos;
        long next = 0;
        Phase? current = null;
        while (true)
        {
            var now = Monotonic.Now;
            if (now >= end)
            {
                break;
            }

            var phase = _phases.First(p => now < p.EndNanos);
            if (phase.Rate > 0)
            {
                var interval = (long)(1e9 * _connections * _batch / phase.Rate);
                if (!ReferenceEquals(phase, current))
                {
                    // Each phase has its own schedule, the connections' sends spread evenly over one interval.
                    current = phase;
                    next = phase.StartNanos + interval * index / _connections;
                }

                if (next > now)
                {
                    // Never sleep past the phase's end: the next phase may ask for a different pace.
                    await Task.Delay(TimeSpan.FromTicks((Math.Min(next, phase.EndNanos) - now) / 100));
                    continue;
                }

                if (now - next > interval)
                {
                    Interlocked.Increment(ref phase.Behind);
                    next = now; // no unbounded backlog: a late emitter just goes on from now
                }

                next += interval;
            }

            current = phase;
            var stamp = Monotonic.Now;
            var length = Build(request, prefix, agent, stamp);
            Interlocked.Increment(ref phase.Requests);
            try
            {
                var answer = await connection.SendAsync(request.AsMemory(0, length), CancellationToken.None);
                var answered = Monotonic.Now;
                if (phase.Measured)
                {
                    _latency.Record((answered - stamp) / 1000);
                }

                lock (_statuses)
                {
                    _statuses[answer.Status] = _statuses.GetValueOrDefault(answer.Status) + 1;
                }

                if (answer.Status == 201)
                {
                    Interlocked.Add(ref phase.Acked, _batch);
                    var sequence = MaxSequence(answer.Body.Span);
                    long seen;
                    while (sequence > (seen = Interlocked.Read(ref _maxSequence))
                        && Interlocked.CompareExchange(ref _maxSequence, sequence, seen) != seen)
                    {
                    }
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                Interlocked.Increment(ref _errors);
                await Task.Delay(50);
            }
        }
    }

    private int Build(byte[] request, byte[] prefix, byte[] agent, long stamp)
    {
        // The body first, after room for the headers, then the headers right before it.
        var bodyStart = prefix.Length + 32;
        var span = request.AsSpan(bodyStart);
        var at = 0;
        if (_batch > 1)
        {
            Put(span, ref at, "["u8);
        }

        for (var i = 0; i < _batch; i++)
        {
            if (i > 0)
            {
                Put(span, ref at, ","u8);
            }

            Put(span, ref at, "{\"type\":\""u8);
            at += Encoding.ASCII.GetBytes(_type, span[at..]);
            Put(span, ref at, "\",\"agentId\":\""u8);
            Put(span, ref at, agent);
            Put(span, ref at, "\",\"data\":{\"t\":"u8);
            Utf8Formatter.TryFormat(stamp, span[at..], out var written);
            at += written;
            Put(span, ref at, ",\"pad\":\""u8);
            Put(span, ref at, _padding);
            Put(span, ref at, "\"}}"u8);
        }

        if (_batch > 1)
        {
            Put(span, ref at, "]"u8);
        }

        Span<byte> header = stackalloc byte[32];
        Utf8Formatter.TryFormat(at, header, out var digits);
        "\r\n\r\n"u8.CopyTo(header[digits..]);
        var headerLength = digits + 4;
        var start = bodyStart - headerLength - prefix.Length;
        prefix.CopyTo(request.AsSpan(start));
        header[..headerLength].CopyTo(request.AsSpan(start + prefix.Length));
        if (start > 0)
        {
            Buffer.BlockCopy(request, start, request, 0, prefix.Length + headerLength + at);
        }

        return prefix.Length + headerLength + at;
    }

    private static void Put(Span<byte> span, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }

    /// <summary>The highest <c>"sequence":N</c> in an emit answer.</summary>
    private static long MaxSequence(ReadOnlySpan<byte> body)
    {
        long max = 0;
        while (true)
        {
            var at = body.IndexOf("\"sequence\":"u8);
            if (at < 0)
            {
                return max;
            }

            body = body[(at + 11)..];
            if (Utf8Parser.TryParse(body, out long sequence, out var consumed))
            {
                max = Math.Max(max, sequence);
                body = body[consumed..];
            }
        }
    }

    private sealed record Phase(double Rate, double Seconds, bool Measured)
    {
        public long StartNanos;
        public long EndNanos;
        public long Requests;
        public long Acked;
        public long Behind;
    }
}
