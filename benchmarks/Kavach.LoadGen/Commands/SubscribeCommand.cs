using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kavach.LoadGen.Measuring;
using Kavach.LoadGen.Protocol;

namespace Kavach.LoadGen.Commands;

/// <summary>
/// N SSE subscribers over raw sockets, all read by one thread through epoll. Each checks that it receives every
/// sequence after its starting point exactly once and in order (reconnecting with Last-Event-ID, as EventSource does,
/// when its stream ends), and measures emit→receive latency from the emitter's stamp in the event's data. In idle
/// mode the connections are only held. Talks to the orchestrator through <see cref="Control"/> files.
/// </summary>
public sealed class SubscribeCommand
{
    private const int MaxBuckets = 3600;

    private readonly IReadOnlyList<Uri> _urls;
    private readonly string _path;
    private readonly string _token;
    private readonly Control _control;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _drain;
    private readonly TimeSpan _reconnectDelay;
    private readonly bool _reconnect;
    private readonly long _origin;
    private readonly long _bucketNanos;
    private readonly int _parallelism;
    private readonly Connection[] _connections;
    private readonly LatencyHistogram _latency = new();
    private readonly LatencyHistogram?[] _buckets = new LatencyHistogram?[MaxBuckets];
    private readonly ConcurrentDictionary<string, long> _endReasons = new(StringComparer.Ordinal);
    private readonly BlockingCollection<Connection> _toConnect = [];
    private readonly Report _report = new();
    private readonly int _epoll = Epoll.Create();
    private int _everReady;
    private long _resyncs;
    private long _reconnects;
    private long _connectFailures;
    private long? _until;
    private volatile bool _finished;

    private SubscribeCommand(Arguments arguments, bool idle)
    {
        _urls = arguments.Urls();
        _path = arguments.OptionalText("path") ?? "/api/kavach/events/stream";
        _token = Tokens.From(arguments, idle ? "bench-idle" : "bench-subscriber");
        _control = new Control(arguments.OptionalText("control"));
        _timeout = TimeSpan.FromSeconds(arguments.Real("timeout", 300));
        _drain = TimeSpan.FromSeconds(arguments.Real("drain", 10));
        _reconnectDelay = TimeSpan.FromMilliseconds(arguments.Number("reconnect-ms", 250));
        _reconnect = !arguments.Flag("no-reconnect");
        _origin = arguments.Number("origin", 0);
        _bucketNanos = arguments.Number("bucket-ms", 0) * 1_000_000;
        _parallelism = (int)arguments.Number("connect-parallelism", 32);
        var after = arguments.OptionalText("after");
        var start = after is null ? -1 : long.Parse(after.AsSpan(after.IndexOf(':') + 1), CultureInfo.InvariantCulture);
        _connections = [.. Enumerable.Range(0, (int)arguments.Number("connections"))
            .Select(i => new Connection(this, i, _urls[i % _urls.Count], start, after))];
        Idle = idle;
    }

    private bool Idle { get; }

    public static int Run(Arguments arguments, bool idle)
    {
        var command = new SubscribeCommand(arguments, idle);
        var receiveBuffer = new byte[arguments.Number("buffer", idle ? 4096 : 65536)];
        return command.Run(receiveBuffer);
    }

    private int Run(byte[] receiveBuffer)
    {
        var deadline = Stopwatch.StartNew();
        var connectors = Enumerable.Range(0, _parallelism).Select(_ => Task.Factory.StartNew(Connector, TaskCreationOptions.LongRunning)).ToArray();
        foreach (var connection in _connections)
        {
            _toConnect.Add(connection);
        }

        var events = new byte[1024 * Epoll.EventSize];
        var tokens = new ulong[1024];
        double? readySeconds = null;
        TimeSpan? drainUntil = null;
        var lastControl = TimeSpan.Zero;
        while (true)
        {
            var count = Epoll.Wait(_epoll, events, tokens, 20);
            for (var i = 0; i < count; i++)
            {
                var connection = _connections[(int)tokens[i]];
                if (connection.Fd < 0)
                {
                    continue;
                }

                var read = Epoll.Receive(connection.Fd, receiveBuffer);
                if (read > 0)
                {
                    connection.Feed(receiveBuffer.AsSpan(0, read), Monotonic.Now);
                    if (connection.Done)
                    {
                        Close(connection, null);
                    }
                }
                else if (read != -1)
                {
                    Ended(connection, read == 0 ? "eof" : "reset");
                }
            }

            var elapsed = deadline.Elapsed;
            if (elapsed - lastControl < TimeSpan.FromMilliseconds(20))
            {
                continue;
            }

            lastControl = elapsed;
            if (readySeconds is null && Volatile.Read(ref _everReady) == _connections.Length)
            {
                readySeconds = _report.Seconds;
                _control.Ready(string.Create(CultureInfo.InvariantCulture, $"{_connections.Length} {readySeconds:0.000}"));
            }

            if (_until is null && _control.StopRequested() is { } until)
            {
                _until = until;
                drainUntil = elapsed + _drain;
                foreach (var connection in _connections)
                {
                    connection.CheckDone();
                    if (connection.Done || until < 0)
                    {
                        Close(connection, null);
                    }
                }
            }

            var allDone = _until is not null && _connections.All(c => c.Done || c.Fd < 0 && !c.Queued);
            if (allDone || elapsed > _timeout || (drainUntil is { } limit && elapsed > limit))
            {
                break;
            }
        }

        _finished = true;
        _toConnect.CompleteAdding();
        foreach (var connection in _connections)
        {
            Close(connection, null);
        }

        Task.WaitAll(connectors, TimeSpan.FromSeconds(10));
        Epoll.Close(_epoll);
        Print(readySeconds);
        var clean = _connections.All(c => c.EverReady) && (Idle || _connections.Sum(c => c.Violations(_until)) == 0);
        return clean ? 0 : 1;
    }

    private void Print(double? readySeconds)
    {
        var until = _until is > 0 ? _until.Value : -1;
        var summaries = _buckets.Select((h, i) => (h, i)).Where(b => b.h is not null)
            .Select(b => new { index = b.i, latency = b.h!.Summarize() }).ToList();
        _report.Print(Idle ? "idle" : "subscribe", new
        {
            connections = _connections.Length,
            ready = _everReady,
            readySeconds,
            until,
            events = _connections.Sum(c => c.Check.Events),
            missing = _connections.Sum(c => c.Check.Missing),
            shortAtEnd = until > 0 ? _connections.Sum(c => c.Check.MissingAt(until) - c.Check.Missing) : 0,
            duplicates = _connections.Sum(c => c.Check.Duplicates),
            outOfOrder = _connections.Sum(c => c.Check.OutOfOrder),
            epochChanges = _connections.Sum(c => c.Check.EpochChanges),
            behindAtEnd = until > 0 ? _connections.Count(c => c.Check.Last < until) : 0,
            resyncs = _resyncs,
            reconnects = _reconnects,
            connectFailures = _connectFailures,
            endReasons = _endReasons,
            latency = _latency.Summarize(),
            buckets = summaries.Count > 0 ? summaries : null,
        });
    }

    private void Ended(Connection connection, string reason)
    {
        var why = connection.Status is not (0 or 200) ? $"http_{connection.Status}" : connection.ErrorCode ?? reason;
        _endReasons.AddOrUpdate(why, 1, (_, n) => n + 1);
        Close(connection, null);
        if (!_finished && _reconnect && !connection.Done && _until is not < 0)
        {
            Interlocked.Increment(ref _reconnects);
            connection.Queued = true;
            connection.NotBefore = Stopwatch.GetTimestamp() + (long)(_reconnectDelay.TotalSeconds * Stopwatch.Frequency);
            _toConnect.Add(connection);
        }
    }

    private void Close(Connection connection, string? _)
    {
        if (connection.Socket is { } socket)
        {
            Epoll.Unregister(_epoll, connection.Fd);
            connection.Fd = -1;
            connection.Socket = null;
            socket.Dispose();
        }
    }

    /// <summary>Opens connections (blocking connect and send, then the socket is handed to the epoll loop).</summary>
    private void Connector()
    {
        foreach (var connection in _toConnect.GetConsumingEnumerable())
        {
            var wait = connection.NotBefore - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            }

            while (!_finished)
            {
                try
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        socket.Connect(IPAddress.Parse(connection.Url.Host), connection.Url.Port);
                        var request = connection.Request(_path, _token);
                        for (var sent = 0; sent < request.Length;)
                        {
                            sent += socket.Send(request, sent, request.Length - sent, SocketFlags.None);
                        }

                        socket.Blocking = false;
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }

                    connection.ResetResponse();
                    connection.Socket = socket;
                    connection.Fd = (int)socket.Handle;
                    connection.Queued = false;
                    Epoll.Register(_epoll, connection.Fd, (ulong)connection.Index);
                    break;
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref _connectFailures);
                    Thread.Sleep(200);
                }
            }
        }
    }

    private void Latency(long stamp, long receivedNanos)
    {
        var micros = (receivedNanos - stamp) / 1000;
        _latency.Record(micros);
        if (_bucketNanos > 0)
        {
            var index = (stamp - _origin) / _bucketNanos;
            if (index is >= 0 and < MaxBuckets)
            {
                (_buckets[index] ??= new LatencyHistogram()).Record(micros);
            }
        }
    }

    private sealed class Connection(SubscribeCommand owner, int index, Uri url, long start, string? after) : SseParser
    {
        private bool _readyThisTime;

        public int Index { get; } = index;

        public Uri Url { get; } = url;

        public Socket? Socket { get; set; }

        public int Fd { get; set; } = -1;

        public bool Queued { get; set; } = true;

        public long NotBefore { get; set; }

        public OrderCheck Check { get; } = new(start);

        public bool EverReady { get; private set; }

        public bool Done { get; private set; }

        public string? ErrorCode { get; private set; }

        public long Violations(long? until) =>
            (until is > 0 ? Check.MissingAt(until.Value) : Check.Missing) + Check.Duplicates + Check.OutOfOrder + Check.EpochChanges;

        public byte[] Request(string path, string token)
        {
            _readyThisTime = false;
            ErrorCode = null;
            var request = new StringBuilder()
                .Append("GET ").Append(path).Append(" HTTP/1.0\r\n")
                .Append("Host: ").Append(Url.Authority).Append("\r\n")
                .Append("Accept: text/event-stream\r\n")
                .Append("Authorization: Bearer ").Append(token).Append("\r\n");
            var cursor = Check.Last >= 0
                ? (Check.Epoch == 1 ? Check.Last.ToString(CultureInfo.InvariantCulture) : $"{Check.Epoch}:{Check.Last}")
                : after;
            if (cursor is not null)
            {
                request.Append("Last-Event-ID: ").Append(cursor).Append("\r\n");
            }

            return Encoding.ASCII.GetBytes(request.Append("\r\n").ToString());
        }

        public void CheckDone()
        {
            if (owner._until is { } until && (until < 0 || Check.Last >= until))
            {
                Done = true;
            }
        }

        protected override void OnHeaders(int status)
        {
            if (status == 200 && owner.Idle)
            {
                MarkReady();
            }
        }

        protected override void OnEvent(long epoch, long sequence, long stamp, long receivedNanos)
        {
            Check.See(epoch, sequence);
            if (stamp > 0)
            {
                owner.Latency(stamp, receivedNanos);
            }

            if (owner._until is { } until && Check.Last >= until)
            {
                Done = true;
            }
        }

        protected override void OnNamed(EventKind kind, string? code)
        {
            switch (kind)
            {
                case EventKind.Connected:
                    MarkReady();
                    break;
                case EventKind.Resync:
                    Interlocked.Increment(ref owner._resyncs);
                    break;
                case EventKind.Error:
                    ErrorCode = code ?? "error";
                    break;
            }
        }

        private void MarkReady()
        {
            if (!_readyThisTime)
            {
                _readyThisTime = true;
                if (!EverReady)
                {
                    EverReady = true;
                    Interlocked.Increment(ref owner._everReady);
                }
            }
        }
    }
}
