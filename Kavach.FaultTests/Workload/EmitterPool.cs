using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kavach.FaultTests.Harness;
using Kavach.Contracts;

namespace Kavach.FaultTests.Workload;

/// <summary>An event the API acknowledged (201): its id, the sequence the answer gave, and when.</summary>
public sealed record Ack(string Id, long Sequence, int Replica, long FirstSent, long Acked, int Attempts);

public sealed record EmitterOptions
{
    public int Emitters { get; init; } = SuiteSettings.Emitters;

    /// <summary>Events per second, all emitters together.</summary>
    public int EventsPerSecond { get; init; } = SuiteSettings.EmitRate;

    /// <summary>Events per POST (a batch is all-or-nothing, retried whole with the same ids).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Padding in each event's data, to make events of a given size.</summary>
    public int PaddingBytes { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Concurrent emitters, each with its own stream of client-chosen ids, sent to the replicas round-robin at a
/// steady rate. Any failure or timeout retries the same ids — on the next replica — until they are acknowledged
/// or the scenario ends, so an id is never given up on while the cluster can still answer. Every answer goes to
/// the ledger; every acknowledgement is kept with its sequence.
/// </summary>
public sealed class EmitterPool : IAsyncDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    private readonly FaultCluster _cluster;
    private readonly ScenarioClock _clock;
    private readonly ResponseLedger _ledger;
    private readonly string _tag;
    private readonly EmitterOptions _options;
    private readonly HttpClient[] _clients;
    private readonly CancellationTokenSource _stopIssuing = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly ConcurrentDictionary<string, Ack> _acks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _firstSent = new(StringComparer.Ordinal);
    private readonly string _padding;
    private Task[] _running = [];
    private TaskCompletionSource? _resume;
    private int _parked;
    private int _attempts;
    private int _abandoned;

    public EmitterPool(FaultCluster cluster, ScenarioClock clock, ResponseLedger ledger, string tag, EmitterOptions? options = null)
    {
        _cluster = cluster;
        _clock = clock;
        _ledger = ledger;
        _tag = tag;
        _options = options ?? new EmitterOptions();
        _padding = new string('x', _options.PaddingBytes);
        _clients = [.. cluster.Replicas.Select(r =>
        {
            var http = new HttpClient(new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(2),
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
                MaxConnectionsPerServer = 256,
            })
            { BaseAddress = r.BaseAddress, Timeout = _options.RequestTimeout };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.EmitToken);
            return http;
        })];
    }

    public IReadOnlyDictionary<string, Ack> Acks => _acks;

    /// <summary>When each id was first sent (for emit-to-receive latency).</summary>
    public IReadOnlyDictionary<string, long> FirstSent => _firstSent;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Ids still unacknowledged when the scenario ended (not counted as lost: never acknowledged).</summary>
    public int Abandoned => Volatile.Read(ref _abandoned);

    public void Start()
    {
        _running = [.. Enumerable.Range(0, _options.Emitters).Select(i => Task.Run(() => RunAsync(i)))];
    }

    /// <summary>
    /// Stops taking new ids; the ones in flight keep retrying for up to <paramref name="drain"/>, then are
    /// abandoned.
    /// </summary>
    public async Task StopAsync(TimeSpan drain)
    {
        await _stopIssuing.CancelAsync();
        Resume();
        var all = Task.WhenAll(_running);
        if (await Task.WhenAny(all, Task.Delay(drain)) != all)
        {
            await _abandon.CancelAsync();
        }

        await all;
    }

    /// <summary>Holds every emitter before its next id, once the ids in flight are acknowledged: the head stands still.</summary>
    public async Task PauseAsync(TimeSpan timeout)
    {
        Volatile.Write(ref _resume, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref _parked) < _running.Count(t => !t.IsCompleted))
        {
            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"Emitters still busy after {timeout}.");
            }

            await Task.Delay(10);
        }
    }

    public void Resume() => Interlocked.Exchange(ref _resume, null)?.TrySetResult();

    /// <summary>Sends one batch of new events now (outside the paced loop), retrying like the emitters; returns the acks.</summary>
    public async Task<IReadOnlyList<Ack>> EmitNowAsync(string prefix, int count, int batchSize, CancellationToken cancellationToken = default)
    {
        var acks = new List<Ack>();
        for (var offset = 0; offset < count; offset += batchSize)
        {
            var ids = Enumerable.Range(offset, Math.Min(batchSize, count - offset)).Select(n => $"{_tag}-{prefix}-{n:D6}").ToList();
            var replica = offset / batchSize;
            acks.AddRange(await SendUntilAckedAsync(ids, replica, cancellationToken) ?? []);
        }

        return acks;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopIssuing.CancelAsync();
        await _abandon.CancelAsync();
        await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { });
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stopIssuing.Dispose();
        _abandon.Dispose();
    }

    private async Task RunAsync(int emitter)
    {
        var batch = _options.BatchSize;
        var interval = TimeSpan.FromSeconds((double)_options.Emitters * batch / _options.EventsPerSecond);
        var next = _clock.Now;
        var number = 0;
        var replica = emitter;
        while (!_stopIssuing.IsCancellationRequested)
        {
            var wait = ScenarioClock.Between(_clock.Now, next);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stopIssuing.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            else if (-wait > TimeSpan.FromSeconds(1))
            {
                next = _clock.Now; // after an outage, carry on at the rate rather than burst to make up
            }

            if (Volatile.Read(ref _resume) is { } paused)
            {
                Interlocked.Increment(ref _parked);
                await Task.WhenAny(paused.Task, Task.Delay(Timeout.Infinite, _stopIssuing.Token));
                Interlocked.Decrement(ref _parked);
                next = _clock.Now;
                if (_stopIssuing.IsCancellationRequested)
                {
                    break;
                }
            }

            next += (long)(interval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            var ids = Enumerable.Range(0, batch).Select(_ => $"{_tag}-e{emitter}-{number++:D6}").ToList();
            var acks = await SendUntilAckedAsync(ids, replica, _abandon.Token);
            if (acks is null)
            {
                Interlocked.Add(ref _abandoned, ids.Count);
            }

            replica++;
        }
    }

    /// <summary>Retries the same ids on the replicas in turn until a 201, or null once abandoned.</summary>
    private async Task<IReadOnlyList<Ack>?> SendUntilAckedAsync(IReadOnlyList<string> ids, int replica, CancellationToken abandon)
    {
        var body = Body(ids);
        var firstSent = _clock.Now;
        foreach (var id in ids)
        {
            _firstSent.TryAdd(id, firstSent);
        }

        for (var attempt = 1; ; attempt++, replica++)
        {
            if (abandon.IsCancellationRequested)
            {
                return null;
            }

            var target = replica % _clients.Length;
            Interlocked.Increment(ref _attempts);
            var start = _clock.Now;
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await _clients[target].PostAsync("/api/kavach/events", content, abandon);
                var text = await response.Content.ReadAsStringAsync(abandon);
                var end = _clock.Now;
                _ledger.Record(new Response(RequestKind.Emit, target, (int)response.StatusCode, null, start, end,
                    response.IsSuccessStatusCode ? null : Truncate(text)));
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var acks = ParseAcks(text, target, firstSent, end, attempt);
                    foreach (var ack in acks)
                    {
                        _acks[ack.Id] = ack;
                    }

                    return acks;
                }
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                _ledger.Record(new Response(RequestKind.Emit, target, null, e.GetType().Name + ": " + e.Message, start, _clock.Now));
            }

            try
            {
                await Task.Delay(RetryPause, abandon);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    private static List<Ack> ParseAcks(string text, int replica, long firstSent, long acked, int attempts)
    {
        using var document = JsonDocument.Parse(text);
        return [.. document.RootElement.GetProperty("events").EnumerateArray()
            .Select(e => new Ack(e.GetProperty("id").GetString()!, e.GetProperty("sequence").GetInt64(), replica, firstSent, acked, attempts))];
    }

    private string Body(IReadOnlyList<string> ids)
    {
        var events = ids.Select(id =>
        {
            var n = int.Parse(id[(id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            return new Dictionary<string, object>
            {
                ["id"] = id,
                ["type"] = KavachEventTypes.All[n % KavachEventTypes.All.Count],
                ["agentId"] = "fault-agent-" + id[..id.LastIndexOf('-')],
                ["data"] = _padding.Length == 0
                    ? new Dictionary<string, object> { ["n"] = n }
                    : new Dictionary<string, object> { ["n"] = n, ["pad"] = _padding },
            };
        }).ToList();
        return events.Count == 1 ? JsonSerializer.Serialize(events[0]) : JsonSerializer.Serialize(events);
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300];
}
