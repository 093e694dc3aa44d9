using System.Diagnostics;
using System.Globalization;
using Kavach.FaultTests.Checking;
using Kavach.FaultTests.Harness;
using Kavach.FaultTests.Workload;
using Npgsql;

namespace Kavach.FaultTests.Scenarios;

public sealed record ScenarioOptions
{
    public EmitterOptions Emitters { get; init; } = new();

    /// <summary>Followers started with the scenario, spread over the replicas, resuming from the head at start.</summary>
    public int Followers { get; init; } = SuiteSettings.Followers;

    public TimeSpan FollowerIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long followers may take, once emitters stop, to reach the committed head.</summary>
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

public sealed record FinishOptions
{
    /// <summary>Acknowledged events the scenario itself destroyed (a restored older database): counted, not lost.</summary>
    public Func<Ack, bool>? DestroyedByScenario { get; init; }

    /// <summary>After a database restore: which sequences were handed out again, and from when.</summary>
    public Reassignment? Reassignment { get; init; }
}

/// <summary>
/// One scenario's workload around a fault: followers resuming from the head at start, emitters retrying with the
/// same ids, fault windows, the time to recover, and at the end the check of everything against PostgreSQL.
/// </summary>
public sealed class ScenarioRun : IAsyncDisposable
{
    private readonly ScenarioOptions _options;
    private readonly SocketsHttpHandler _streamHandler;
    private readonly HttpMessageInvoker _streamHttp;
    private readonly CancellationTokenSource _stopFollowers = new();
    private readonly List<Follower> _followers = [];
    private readonly Dictionary<string, List<Follower>> _groups = [];
    private readonly List<string> _timeline = [];
    private Task? _recovery;
    private CancellationTokenSource? _stopRecovery;
    private bool _finished;

    private ScenarioRun(FaultCluster cluster, string name, ScenarioOptions options, long startHead, CancellationToken aborted)
    {
        Aborted = aborted;
        Cluster = cluster;
        _options = options;
        StartHead = startHead;
        Clock = new ScenarioClock();
        Ledger = new ResponseLedger();
        Faults = new FaultWindows(Clock);
        Figures = new ScenarioFigures(name);
        Tag = new string([.. name.Where(char.IsLetterOrDigit).Take(12)]) + "-" + Guid.NewGuid().ToString("N")[..6];
        Emitters = new EmitterPool(cluster, Clock, Ledger, Tag, options.Emitters);
        _streamHandler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(3),
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        _streamHttp = new HttpMessageInvoker(_streamHandler);
    }

    public FaultCluster Cluster { get; }

    /// <summary>The test's own cancellation (its timeout): the load phases stop waiting when it fires.</summary>
    public CancellationToken Aborted { get; }

    public ScenarioClock Clock { get; }

    public ResponseLedger Ledger { get; }

    public FaultWindows Faults { get; }

    public EmitterPool Emitters { get; }

    public ScenarioFigures Figures { get; }

    /// <summary>Prefix of every id this scenario emits.</summary>
    public string Tag { get; }

    /// <summary>The committed head when the scenario started: where its followers resume from.</summary>
    public long StartHead { get; }

    /// <summary>The followers started with the scenario.</summary>
    public IReadOnlyList<Follower> Followers => _groups.TryGetValue("", out var main) ? main : [];

    public IEnumerable<Follower> AllFollowers => _followers;

    public static async Task<ScenarioRun> StartAsync(FaultCluster cluster, string name, ScenarioOptions? options = null,
        CancellationToken aborted = default)
    {
        options ??= new ScenarioOptions();
        var run = new ScenarioRun(cluster, name, options, await cluster.HeadAsync(), aborted);
        try
        {
            for (var i = 0; i < options.Followers; i++)
            {
                run.AddFollower("", $"follower-{i}", i % cluster.Replicas.Count, run.StartHead.ToString(CultureInfo.InvariantCulture));
            }

            await Task.WhenAll(run.Followers.Select(f => f.FirstConnected)).WaitAsync(TimeSpan.FromSeconds(20));
            run.Note("followers connected");
            run.Emitters.Start();
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts another follower in a named group (the storm's clients, the healthy readers beside a stall).</summary>
    public Follower AddFollower(string group, string name, int replica, string? startAfter, FailoverPolicy policy = FailoverPolicy.NextReplica)
    {
        var follower = new Follower(name, [.. Cluster.Replicas.Select(r => r.BaseAddress)], replica, _streamHttp, Cluster.ReadTokenFor(name),
            Clock, Ledger, startAfter, policy, _options.FollowerIdleTimeout);
        lock (_followers)
        {
            _followers.Add(follower);
            if (!_groups.TryGetValue(group, out var members))
            {
                _groups[group] = members = [];
            }

            members.Add(follower);
        }

        follower.Start(_stopFollowers.Token);
        return follower;
    }

    /// <summary>Lets the load run (scaled by KAVACH_FAULT_LOAD_SCALE).</summary>
    public Task LoadAsync(TimeSpan duration) => Task.Delay(duration * SuiteSettings.LoadScale, Aborted);

    /// <summary>A line in the scenario's timeline, stamped with the time since it started.</summary>
    public void Note(string what)
    {
        lock (_timeline)
        {
            _timeline.Add($"{Clock.Elapsed.TotalSeconds:0.0}s {what}");
        }
    }

    public FaultWindows.Window BeginFault(string what)
    {
        Note(what);
        return Faults.Begin(what);
    }

    /// <summary>Ends the fault window and starts timing the recovery: until every follower has the first event committed after now.</summary>
    public void EndFault(FaultWindows.Window window, string? what = null)
    {
        Faults.End(window);
        Note(what ?? $"{window.What}: over");
        _stopRecovery?.Cancel();
        Figures.Recovery = null; // measured from the last fault's end
        var endedAt = DateTimeOffset.UtcNow;
        var endTicks = Clock.Now;
        _stopRecovery = new CancellationTokenSource();
        var stop = _stopRecovery.Token;
        _recovery = Task.Run(async () =>
        {
            (long Sequence, string Id)? target = null;
            while (!stop.IsCancellationRequested && ScenarioClock.Between(endTicks, Clock.Now) < TimeSpan.FromSeconds(120))
            {
                try
                {
                    target ??= await Cluster.FirstCommittedSinceAsync(endedAt);
                }
                catch (NpgsqlException)
                {
                }

                if (target is { } t && Followers.All(f => f.HasReceived(t.Id)) && !stop.IsCancellationRequested)
                {
                    Figures.Recovery = ScenarioClock.Between(endTicks, Clock.Now);
                    Note($"recovered: every follower has sequence {t.Sequence}, the first committed after the fault");
                    return;
                }

                try
                {
                    await Task.Delay(25, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>
    /// Stops the emitters (in-flight ids keep retrying for a while), waits for every follower to reach the
    /// committed head, stops them, and checks acks and deliveries against PostgreSQL.
    /// </summary>
    public async Task<ScenarioFigures> FinishAsync(FinishOptions? finish = null)
    {
        finish ??= new FinishOptions();
        _finished = true;
        await Emitters.StopAsync(drain: TimeSpan.FromSeconds(20));
        Note("emitters stopped");
        var head = await Cluster.HeadAsync();

        var starts = AllFollowers.Select(f => long.TryParse(f.StartAfter, CultureInfo.InvariantCulture, out var s) ? s : 0).ToList();
        var rowsFrom = Math.Max(0, Math.Min(starts.DefaultIfEmpty(StartHead).Min(), StartHead));
        var headRows = await Cluster.RowsAsync(head - 1, head);
        var headId = headRows.TryGetValue(head, out var id) ? id : null;

        var caughtUp = Stopwatch.StartNew();
        if (headId is not null && head > rowsFrom)
        {
            while (caughtUp.Elapsed < _options.CatchUpTimeout && !AllFollowers.All(f => f.HasReceived(headId)))
            {
                await Task.Delay(50, Aborted);
            }
        }

        var behind = headId is null ? [] : AllFollowers.Where(f => !f.HasReceived(headId)).ToList();
        Note(behind.Count == 0 ? $"every follower has the head ({head})" : $"{behind.Count} follower(s) short of the head ({head})");
        await StopFollowersAsync();

        var lowestDelivered = AllFollowers.SelectMany(f => f.Deliveries).Select(d => d.Sequence).DefaultIfEmpty(rowsFrom + 1).Min();
        var rows = await Cluster.RowsAsync(Math.Min(rowsFrom, lowestDelivered - 1), head);

        await CheckAcksAsync(finish);
        foreach (var follower in AllFollowers)
        {
            CheckFollower(follower, rows, head, headId, finish);
        }

        CheckStatuses();
        await CheckChainAsync(rows.Count > 0 ? rows.Keys.First() : head + 1, head);
        Figures.Followers = _followers.Count;
        Figures.Duration = Clock.Elapsed;
        Figures.HasFault = Faults.All.Count > 0;
        if (Figures.HasFault && Figures.Recovery is null)
        {
            Figures.Violation("followers did not recover: not every follower received the first event committed after the fault");
        }

        AddCommonExtras(head);
        return Figures;
    }

    /// <summary>Percentiles of emit-to-receive time over the given followers' deliveries of events first sent in the window.</summary>
    public (double P50, double P99, int Count) Latency(IEnumerable<Follower> followers, long? sentFrom = null, long? sentUntil = null)
    {
        var values = new List<double>();
        foreach (var follower in followers)
        {
            foreach (var delivery in follower.Deliveries)
            {
                if (Emitters.FirstSent.TryGetValue(delivery.Id, out var sent)
                    && (sentFrom is null || sent >= sentFrom) && (sentUntil is null || sent < sentUntil))
                {
                    values.Add(ScenarioClock.Between(sent, delivery.Received).TotalMilliseconds);
                }
            }
        }

        if (values.Count == 0)
        {
            return (double.NaN, double.NaN, 0);
        }

        values.Sort();
        return (Percentile(values, 0.50), Percentile(values, 0.99), values.Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopRecovery is not null)
        {
            await _stopRecovery.CancelAsync();
        }

        await Emitters.DisposeAsync();
        await StopFollowersAsync();
        _streamHttp.Dispose();
        _stopFollowers.Dispose();
        _stopRecovery?.Dispose();
        if (!_finished)
        {
            Note("scenario ended early");
        }
    }

    public IReadOnlyList<string> Timeline
    {
        get
        {
            lock (_timeline)
            {
                return [.. _timeline];
            }
        }
    }

    private async Task StopFollowersAsync()
    {
        if (_stopRecovery is not null && _recovery is not null)
        {
            await Task.WhenAny(_recovery, Task.Delay(TimeSpan.FromSeconds(2)));
            await _stopRecovery.CancelAsync();
        }

        if (!_stopFollowers.IsCancellationRequested)
        {
            await _stopFollowers.CancelAsync();
        }

        var running = AllFollowers.Select(f => f.Running ?? Task.CompletedTask).ToArray();
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(TimeSpan.FromSeconds(15)));
    }

    private async Task CheckAcksAsync(FinishOptions finish)
    {
        var acks = Emitters.Acks.Values.ToList();
        Figures.Acked = acks.Count;
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in acks.Select(a => a.Id).Chunk(5000))
        {
            foreach (var (id, sequence) in await Cluster.SequencesOfAsync(chunk))
            {
                stored[id] = sequence;
            }
        }

        var (lost, destroyed) = AckCheck.Check(acks, stored, finish.DestroyedByScenario);
        Figures.Lost = lost.Count;
        if (finish.DestroyedByScenario is not null)
        {
            Figures.Extra("acked then rolled back by the restore", destroyed);
        }

        if (lost.Count > 0)
        {
            Figures.Violation($"{lost.Count} acknowledged event(s) not committed as acknowledged, e.g. {string.Join("; ", lost.Take(3))}");
        }
    }

    private void CheckFollower(Follower follower, IReadOnlyDictionary<long, string> rows, long head, string? headId, FinishOptions finish)
    {
        var deliveries = follower.Deliveries;
        var resyncs = follower.Resyncs;
        var start = long.TryParse(follower.StartAfter, CultureInfo.InvariantCulture, out var s) ? s : 0;
        var verdict = StreamCheck.Check(start, deliveries, resyncs, rows, head, finish.Reassignment);
        var problems = verdict.Problems.ToList();
        if (headId is not null && head > start && !follower.HasReceived(headId))
        {
            var last = deliveries.Count > 0 ? deliveries[^1].Sequence.ToString(CultureInfo.InvariantCulture) : "none";
            problems.Add($"did not reach the head {head} within {_options.CatchUpTimeout.TotalSeconds:0} s (last sequence received: {last})");
        }

        Figures.Duplicates += verdict.Duplicates;
        Figures.OutOfOrder += verdict.OutOfOrder;
        Figures.Phantoms += verdict.Phantoms;
        Figures.Gaps += verdict.Missing;
        if (problems.Count > 0)
        {
            Figures.Violation($"{follower.Name} (from {follower.StartAfter ?? "live"}, {deliveries.Count} events, {resyncs.Count} resync, " +
                $"{follower.Connections.Count} connection(s), last on replica {follower.CurrentReplica}): {string.Join("; ", problems)}");
        }
    }

    private void CheckStatuses()
    {
        var summary = Ledger.Summarize(Faults);
        Figures.FiveHundredsFromInput = summary.FromInput.Count;
        Figures.UnavailableDuringOutage = summary.OutageUnavailable;
        Figures.OtherFiveHundredsDuringOutage = summary.OtherDuringFault.Count;
        Figures.Extra("answers", string.Join(" ", summary.ByStatus.Select(kv => $"{kv.Key}×{kv.Value}")));
        if (summary.FromInput.Count > 0)
        {
            Figures.Violation($"{summary.FromInput.Count} 5xx to valid requests outside any fault, e.g. {Describe(summary.FromInput[0])}");
        }

        if (summary.OtherDuringFault.Count > 0)
        {
            Figures.Violation($"{summary.OtherDuringFault.Count} 5xx other than 503 during a fault, e.g. {Describe(summary.OtherDuringFault[0])}");
        }

        if (summary.ClientErrors.Count > 0)
        {
            Figures.Violation($"{summary.ClientErrors.Count} 4xx to valid requests, e.g. {Describe(summary.ClientErrors[0])}");
        }
    }

    private string Describe(Response response) =>
        $"{response.Kind} to replica {response.Replica} at {Clock.At(response.Start).TotalSeconds:0.0}s → {response.Status}: {response.Body}";

    /// <summary>Whatever the fault did, the hash chain over what the scenario committed still verifies (issue 11).</summary>
    private async Task CheckChainAsync(long from, long head)
    {
        if (from > head)
        {
            return;
        }

        var replica = Cluster.Replicas.FirstOrDefault(r => r.IsRunning) ?? Cluster.Replicas[0];
        using var http = new HttpClient { BaseAddress = replica.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Cluster.ReadToken);
        try
        {
            // A 503 (a pooled connection PostgreSQL's restart broke) asks for a retry, as the docs tell clients.
            string answer;
            for (var attempt = 1; ; attempt++)
            {
                using var response = await http.GetAsync($"/api/kavach/events/verify?from={from}&to={head}", Aborted);
                answer = await response.Content.ReadAsStringAsync(Aborted);
                if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || attempt == 10)
                {
                    response.EnsureSuccessStatusCode();
                    break;
                }

                await Task.Delay(1000, Aborted);
            }

            using var report = System.Text.Json.JsonDocument.Parse(answer);
            var root = report.RootElement;
            if (root.GetProperty("valid").GetBoolean())
            {
                Figures.Extra("chain verified", $"{root.GetProperty("checked").GetInt64()} events, {root.GetProperty("checkpointsVerified").GetInt32()} checkpoints");
            }
            else
            {
                var broken = root.GetProperty("break");
                Figures.Violation($"the hash chain breaks at {broken.GetProperty("sequence").GetInt64()}: {broken.GetProperty("kind").GetString()} — {broken.GetProperty("detail").GetString()}");
            }
        }
        catch (HttpRequestException e)
        {
            Figures.Violation($"verifying the hash chain failed: {e.Message}");
        }
    }

    private void AddCommonExtras(long head)
    {
        var (p50, p99, _) = Latency(Followers);
        Figures.Extra("events committed", head - StartHead);
        Figures.Extra("emit attempts", Emitters.Attempts);
        Figures.Extra("abandoned unacked", Emitters.Abandoned);
        Figures.Extra("follower connections", AllFollowers.Sum(f => f.Connections.Count));
        Figures.Extra("idle drops", AllFollowers.Sum(f => f.IdleDrops));
        var malformed = AllFollowers.Sum(f => f.MalformedEvents);
        if (malformed > 0)
        {
            Figures.Violation($"{malformed} stream event(s) without a top-level id or sequence in their JSON");
        }

        Figures.Extra("latency p50/p99", $"{p50:0}/{p99:0} ms");
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
