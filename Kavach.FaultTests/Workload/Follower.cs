using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Kavach.Client;
using Kavach.Contracts;

namespace Kavach.FaultTests.Workload;

/// <summary>An event as a follower received it.</summary>
public readonly record struct Delivery(long Sequence, string Id, long Received, int Replica, int Connection);

/// <summary>A <c>resync</c> the follower received, before the delivery at <see cref="BeforeDelivery"/>.</summary>
public sealed record Resync(int BeforeDelivery, string Json, string? Reason, long Received, int Replica);

/// <summary>One attempt to open the stream: where, whether it was admitted, and how it ended.</summary>
public sealed class Connection(int number, int replica, long start, string? lastEventIdSent)
{
    public int Number { get; } = number;

    public int Replica { get; } = replica;

    public long Start { get; } = start;

    /// <summary>The Last-Event-ID header this connection sent (null: none).</summary>
    public string? LastEventIdSent { get; } = lastEventIdSent;

    public int? Status { get; set; }

    public long? End { get; set; }

    public string? EndReason { get; set; }

    public int Events { get; set; }
}

public enum FailoverPolicy
{
    /// <summary>Reconnect to the next replica: resumes cross replicas, and a dead replica is left at once.</summary>
    NextReplica,

    /// <summary>Stay on the same replica (the reconnect storm targets one replica).</summary>
    SameReplica,
}

/// <summary>
/// An SSE reader that never gives up: on any disconnect it reconnects, per <see cref="FailoverPolicy"/>, with
/// Last-Event-ID set to the last <c>id:</c> it received — treated as opaque text, since the id may carry an epoch
/// (<c>E:N</c>). The sequence of each event comes from its JSON. A stream silent for longer than the idle timeout
/// (no event, no heartbeat) is dropped and resumed, and counted.
/// It is deliberately not <see cref="Kavach.Client.KavachStream"/>, though it parses frames with the client's
/// <see cref="StreamFrameParser"/>: it judges the server, so it must record every frame as sent — duplicates and
/// disorder included, which the client would drop — with the replica and connection that sent it.
/// </summary>
public sealed class Follower
{
    private readonly string[] _replicaAddresses;
    private readonly HttpMessageInvoker _http;
    private readonly string _token;
    private readonly ScenarioClock _clock;
    private readonly ResponseLedger _ledger;
    private readonly FailoverPolicy _policy;
    private readonly TimeSpan _idleTimeout;
    private readonly Lock _gate = new();
    private readonly List<Delivery> _deliveries = [];
    private readonly List<Resync> _resyncs = [];
    private readonly List<Connection> _connections = [];
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _lastEventId;
    private int _idleDrops;
    private int _malformed;

    public Follower(string name, IReadOnlyList<Uri> replicas, int firstReplica, HttpMessageInvoker http, string token,
        ScenarioClock clock, ResponseLedger ledger, string? startAfter, FailoverPolicy policy = FailoverPolicy.NextReplica,
        TimeSpan? idleTimeout = null)
    {
        Name = name;
        _replicaAddresses = [.. replicas.Select(r => r.ToString().TrimEnd('/'))];
        CurrentReplica = firstReplica;
        FirstReplica = firstReplica;
        _http = http;
        _token = token;
        _clock = clock;
        _ledger = ledger;
        _policy = policy;
        _idleTimeout = idleTimeout ?? TimeSpan.FromSeconds(10);
        _lastEventId = startAfter;
        StartAfter = startAfter;
    }

    public string Name { get; }

    /// <summary>The cursor of the first connection (the committed head when the follower started).</summary>
    public string? StartAfter { get; }

    public int FirstReplica { get; }

    public int CurrentReplica { get; private set; }

    /// <summary>Completes when the first stream is open (200 and the <c>connected</c> event).</summary>
    public Task FirstConnected => _firstConnected.Task;

    public Task? Running { get; private set; }

    public int IdleDrops => Volatile.Read(ref _idleDrops);

    /// <summary>Stream events whose JSON had no top-level id or sequence (the stream is dropped and resumed).</summary>
    public int MalformedEvents => Volatile.Read(ref _malformed);

    public IReadOnlyList<Delivery> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _deliveries];
            }
        }
    }

    public IReadOnlyList<Resync> Resyncs
    {
        get
        {
            lock (_gate)
            {
                return [.. _resyncs];
            }
        }
    }

    public IReadOnlyList<Connection> Connections
    {
        get
        {
            lock (_gate)
            {
                return [.. _connections];
            }
        }
    }

    public int DeliveryCount
    {
        get
        {
            lock (_gate)
            {
                return _deliveries.Count;
            }
        }
    }

    public bool HasReceived(string id)
    {
        lock (_gate)
        {
            return _ids.Contains(id);
        }
    }

    public void Start(CancellationToken stop) => Running = Task.Run(() => RunAsync(stop));

    private async Task RunAsync(CancellationToken stop)
    {
        var number = 0;
        while (!stop.IsCancellationRequested)
        {
            var replica = CurrentReplica;
            var connection = new Connection(++number, replica, _clock.Now, _lastEventId);
            lock (_gate)
            {
                _connections.Add(connection);
            }

            try
            {
                await ReadOneStreamAsync(connection, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                connection.EndReason ??= "stopped";
            }
            catch (JsonException e)
            {
                Interlocked.Increment(ref _malformed);
                connection.EndReason = "malformed event: " + e.Message;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                connection.EndReason ??= e.GetType().Name + ": " + e.Message;
                if (connection.Status is null)
                {
                    _ledger.Record(new Response(RequestKind.Stream, replica, null, connection.EndReason, connection.Start, _clock.Now));
                }
            }

            connection.End = _clock.Now;
            var opened = connection.Status == 200;
            if (stop.IsCancellationRequested)
            {
                break;
            }

            if (_policy == FailoverPolicy.NextReplica)
            {
                CurrentReplica = (replica + 1) % _replicaAddresses.Length;
            }

            try
            {
                // A refused or failed connect backs off a little more than a stream that simply ended.
                await Task.Delay(opened ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(250), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One connection, read to its end (or refused).</summary>
    private async Task ReadOneStreamAsync(Connection connection, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _replicaAddresses[connection.Replica] + "/api/kavach/events/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        if (connection.LastEventIdSent is { } lastEventId)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop);
        idle.CancelAfter(TimeSpan.FromSeconds(10)); // connect and headers
        using var response = await _http.SendAsync(request, idle.Token);
        var status = (int)response.StatusCode;
        var admitted = status == 200 && response.Content.Headers.ContentType?.MediaType == "text/event-stream";
        connection.Status = status;
        if (!admitted)
        {
            var problem = await response.Content.ReadAsStringAsync(stop);
            _ledger.Record(new Response(RequestKind.Stream, connection.Replica, status, null, connection.Start, _clock.Now,
                problem.Length > 300 ? problem[..300] : problem));
            connection.EndReason = $"refused {status}";
            return;
        }

        _ledger.Record(new Response(RequestKind.Stream, connection.Replica, status, null, connection.Start, _clock.Now));
        await using var body = await response.Content.ReadAsStreamAsync(stop);
        await using var watched = new ActivityStream(body, idle, _idleTimeout);
        idle.CancelAfter(_idleTimeout);
        var parser = SseParser.Create(watched, StreamFrameParser.Parse);
        try
        {
            await foreach (var item in parser.EnumerateAsync(idle.Token))
            {
                var now = _clock.Now;
                switch (item.Data)
                {
                    case Connected:
                        _firstConnected.TrySetResult();
                        break;
                    case KavachEvent e:
                        lock (_gate)
                        {
                            _deliveries.Add(new Delivery(e.Sequence, e.Id, now, connection.Replica, connection.Number));
                            _ids.Add(e.Id);
                        }

                        connection.Events++;
                        if (item.EventId is { Length: > 0 } id)
                        {
                            _lastEventId = id;
                        }

                        break;
                    case Kavach.Contracts.Resync resync:
                        lock (_gate)
                        {
                            _resyncs.Add(new Resync(_deliveries.Count, JsonSerializer.Serialize(resync, KavachJson.Options), resync.Reason, now, connection.Replica));
                        }

                        break;
                    case UnknownSignal { Name: var name, Json: var json } when KavachEventTypes.IsKnown(name):
                        throw new JsonException($"A '{name}' event without id or sequence: {json}");
                }
            }

            connection.EndReason = "ended by server";
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _idleDrops);
            connection.EndReason = $"silent for {_idleTimeout.TotalSeconds:0}s: dropped";
        }
    }

    /// <summary>Pushes the idle deadline back whenever bytes arrive (heartbeat comments included).</summary>
    private sealed class ActivityStream(Stream inner, CancellationTokenSource idle, TimeSpan idleTimeout) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                idle.CancelAfter(idleTimeout);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
