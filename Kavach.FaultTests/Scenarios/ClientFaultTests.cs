using System.Globalization;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Kavach.FaultTests.Harness;
using Kavach.Processes;
using Kavach.FaultTests.Workload;

namespace Kavach.FaultTests.Scenarios;

/// <summary>
/// Clients behaving badly — one that never reads, hundreds that reconnect at once far behind — while healthy
/// followers and emitters carry on. Nothing here breaks a process, so the scenarios share one cluster.
/// </summary>
[TestClass]
public sealed class ClientFaultTests : FaultScenarioTest
{
    /// <summary>Kavach:Stream:WriteTimeout as the suite sets it (FaultCluster.SuiteStreamSettings).</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.Parse(FaultCluster.SuiteStreamSettings["Kavach__Stream__WriteTimeout"],
        System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Room for the timeout check's own granularity and for this 2-core machine being busy.</summary>
    private static readonly TimeSpan AbortMargin = TimeSpan.FromSeconds(3);

    private static FaultCluster _cluster = null!;

    [ClassInitialize]
    public static async Task StartCluster(TestContext context)
    {
        _cluster = await FaultCluster.StartAsync("client-faults");
        context.WriteLine($"Cluster started in {_cluster.StartupTime.TotalSeconds:0.0} s");
    }

    [ClassCleanup]
    public static async Task StopCluster()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task StalledReaderIsCutOffWithinTheWriteTimeoutAndHealthyFollowersAreUnaffected()
    {
        // ~1 KB events, fast (~1 MB/s): the stalled connection's buffers (the server's send buffer grows to a few MB)
        // fill within a few seconds.
        var options = new ScenarioOptions { Emitters = new EmitterOptions { EventsPerSecond = 1000, BatchSize = 10, PaddingBytes = 1000 } };
        await RunScenarioAsync(_cluster, "stalled reader", options, async run =>
        {
            var target = _cluster.Replicas[0];
            using var http = ReaderClient(target);
            var quietStart = run.Clock.Now;
            await run.LoadAsync(TimeSpan.FromSeconds(2));
            long? baseline = null;
            for (var attempt = 0; attempt < 10 && baseline is null; attempt++)
            {
                baseline = await ConnectionsAsync(http);
            }

            Assert.IsNotNull(baseline, "the connections endpoint never answered");

            var fault = run.BeginFault($"a stream reader on {target.Name} that never reads (4 KB receive buffer)");
            using var stalled = await StalledReader.OpenAsync(target.BaseAddress, _cluster.ReadToken);
            var counted = await WaitForAsync(async () => await ConnectionsAsync(http) is { } open && open > baseline, TimeSpan.FromSeconds(10));

            long? blockedAt = null, uncountedAt = null, closedAt = null;
            long lastQueue = -1, lastChange = run.Clock.Now, peakQueue = 0;
            string lastState = "?";
            var watching = Stopwatch.StartNew();
            while (watching.Elapsed < TimeSpan.FromSeconds(45))
            {
                var now = run.Clock.Now;
                var server = stalled.ServerSide();
                lastState = server?.State ?? "gone";
                if (server is not { IsOpen: true })
                {
                    closedAt ??= now;
                }
                else if (server.SendQueue != lastQueue)
                {
                    (lastQueue, lastChange) = (server.SendQueue, now);
                    peakQueue = Math.Max(peakQueue, server.SendQueue);
                }
                else if (blockedAt is null && server.SendQueue > 0 && ScenarioClock.Between(lastChange, now) >= TimeSpan.FromMilliseconds(500))
                {
                    // The server's send queue stopped growing: the kernel takes no more, so its writes now block.
                    blockedAt = lastChange;
                    run.Note($"server-side send queue full at {server.SendQueue} bytes: writes block");
                }

                if (counted && uncountedAt is null && await ConnectionsAsync(http) is { } open && open <= baseline)
                {
                    uncountedAt = now;
                    run.Note("connections endpoint no longer counts the stalled reader");
                }

                if ((closedAt is not null && (uncountedAt is not null || !counted))
                    || (blockedAt is { } b && ScenarioClock.Between(b, now) > WriteTimeout + AbortMargin + TimeSpan.FromSeconds(3)))
                {
                    break;
                }

                await Task.Delay(100);
            }

            if (closedAt is not null)
            {
                run.Note($"server closed the stalled connection ({lastState})");
            }

            var ending = closedAt is not null ? await stalled.DrainAsync(TimeSpan.FromSeconds(5)) : "still open";
            run.EndFault(fault, "stalled reader watched to its end");
            var stallEnd = run.Clock.Now;
            await run.LoadAsync(TimeSpan.FromSeconds(2));
            var figures = await run.FinishAsync();

            var limit = WriteTimeout + AbortMargin;
            figures.Extra("write timeout", WriteTimeout);
            figures.Extra("server send queue at block", peakQueue, " B");
            figures.Extra("blocked after", blockedAt is { } blocked ? ScenarioClock.Between(fault.Start, blocked) : null);
            figures.Extra("uncounted after block", Since(blockedAt, uncountedAt));
            figures.Extra("closed after block", Since(blockedAt, closedAt));
            figures.Extra("client saw", ending);
            figures.Extra("healthy p50/p99 quiet", ProcessFaultTests.FormatLatency(run.Latency(run.Followers, quietStart, fault.Start)));
            figures.Extra("healthy p50/p99 during stall", ProcessFaultTests.FormatLatency(run.Latency(run.Followers, fault.Start, stallEnd)));
            var silence = LongestSilence(run.Followers, fault.Start, stallEnd);
            figures.Extra("healthy longest silence during stall", silence);

            if (!counted)
            {
                figures.Violation("the stalled stream never showed in the connections endpoint");
            }

            if (blockedAt is null)
            {
                figures.Violation($"the server's writes to the stalled reader never blocked in 45 s (send queue peaked at {peakQueue} B): the scenario could not stall it");
            }
            else
            {
                if (Since(blockedAt, uncountedAt) is not { } uncounted || uncounted > limit)
                {
                    figures.Violation($"the connections endpoint still counted the stalled reader {FormatSince(blockedAt, uncountedAt, run)} after its writes blocked " +
                        $"(limit: WriteTimeout {WriteTimeout.TotalSeconds:0} s + {AbortMargin.TotalSeconds:0} s)");
                }

                if (Since(blockedAt, closedAt) is not { } closed || closed > limit)
                {
                    figures.Violation($"the server had not aborted the stalled connection {FormatSince(blockedAt, closedAt, run)} after its writes blocked " +
                        $"(server socket {lastState}; limit: WriteTimeout {WriteTimeout.TotalSeconds:0} s + {AbortMargin.TotalSeconds:0} s)");
                }
            }

            // Healthy followers keep receiving while the stalled one is stuck: no pause a reader would notice.
            if (silence > TimeSpan.FromSeconds(2))
            {
                figures.Violation($"a healthy follower received nothing for {silence.TotalSeconds:0.0} s while the reader was stalled");
            }

            return figures;
        });
    }

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public async Task ReconnectStormOnOneReplicaDeliversEveryEventInOrderToEveryClient()
    {
        var clients = SuiteSettings.StormClients;
        var behind = SuiteSettings.StormBehind;
        var options = new ScenarioOptions { Emitters = new EmitterOptions { EventsPerSecond = 100 }, CatchUpTimeout = TimeSpan.FromSeconds(60) };
        await RunScenarioAsync(_cluster, "reconnect storm", options, async run =>
        {
            var target = _cluster.Replicas[0];

            // History for the storm to resume into, then a quiet stretch to measure live latency against.
            await run.Emitters.EmitNowAsync("backlog", behind, batchSize: 200);
            var quietStart = run.Clock.Now;
            await run.LoadAsync(TimeSpan.FromSeconds(4));

            var head = await _cluster.HeadAsync();
            var after = Math.Max(0, head - behind);
            var fault = run.BeginFault($"{clients} clients resume {behind} events behind on {target.Name} at once");

            // The storm's clients live in their own process (niced, so the measuring followers here are not starved
            // by the generator's own work on this small machine); each checks that it gets every sequence once, in order.
            var log = Path.Combine(_cluster.LogDirectory, "storm-loadgen.log");
            var generator = ChildProcess.Start("storm load generator", "nice",
                ["-n", "10", ApiReplica.DotnetHost, SuiteSettings.LoadGenAssembly, "storm", "--url", target.BaseAddress.ToString(),
                 "--signing-key", _cluster.SigningKey, "--clients", clients.ToString(CultureInfo.InvariantCulture),
                 "--after", after.ToString(CultureInfo.InvariantCulture), "--until", head.ToString(CultureInfo.InvariantCulture),
                 "--timeout", "90"],
                new Dictionary<string, string>(), log);
            await generator.WaitForExitAsync(TimeSpan.FromSeconds(120));
            var summary = JsonDocument.Parse(File.ReadLines(log).Last(l => l.StartsWith('{'))).RootElement;
            var caughtUp = summary.GetProperty("completed").GetInt32() == clients && summary.GetProperty("violationCount").GetInt32() == 0;
            run.EndFault(fault, caughtUp ? "every storm client caught up" : "storm clients failed or still behind");
            var stormEnd = run.Clock.Now;
            await run.LoadAsync(TimeSpan.FromSeconds(2));
            var figures = await run.FinishAsync();

            var onTarget = run.Followers.Where(f => f.FirstReplica == target.Index).ToList();
            var elsewhere = run.Followers.Where(f => f.FirstReplica != target.Index).ToList();
            figures.Extra("storm clients", clients);
            figures.Extra("events behind", behind);
            figures.Extra("storm catch-up", TimeSpan.FromSeconds(summary.GetProperty("seconds").GetDouble()));
            figures.Extra("storm events delivered", summary.GetProperty("events").GetInt64());
            figures.Extra("storm reconnects", summary.GetProperty("reconnects").GetInt64());
            figures.Extra("load generator CPU", $"{summary.GetProperty("cpuSeconds").GetDouble():0.00} s");
            figures.Extra($"live p50/p99 quiet ({target.Name})", ProcessFaultTests.FormatLatency(run.Latency(onTarget, quietStart, fault.Start)));
            figures.Extra($"live p50/p99 storm ({target.Name})", ProcessFaultTests.FormatLatency(run.Latency(onTarget, fault.Start, stormEnd)));
            figures.Extra("live p50/p99 quiet (other)", ProcessFaultTests.FormatLatency(run.Latency(elsewhere, quietStart, fault.Start)));
            figures.Extra("live p50/p99 storm (other)", ProcessFaultTests.FormatLatency(run.Latency(elsewhere, fault.Start, stormEnd)));
            if (!caughtUp)
            {
                figures.Violation($"storm: {summary.GetProperty("completed").GetInt32()} of {clients} clients caught up; " +
                    $"{summary.GetProperty("violationCount").GetInt32()} violation(s): {summary.GetProperty("violations")}");
            }

            return figures;
        });
    }

    private static HttpClient ReaderClient(ApiReplica replica)
    {
        var http = new HttpClient { BaseAddress = replica.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.ReadToken);
        return http;
    }

    /// <summary>
    /// Open streams on the replica that answers (GET /api/kavach/events/stream/connections); null when it did not
    /// answer in time (a busy 2-core machine), which the callers treat as "not known yet" and ask again.
    /// </summary>
    private static async Task<long?> ConnectionsAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/api/kavach/events/stream/connections");
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return document.RootElement.GetProperty("connections").GetInt64();
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    private static TimeSpan? Since(long? from, long? to) => from is { } f && to is { } t ? ScenarioClock.Between(f, t) : null;

    private static string FormatSince(long? from, long? to, ScenarioRun run) =>
        Since(from, to) is { } span ? $"{span.TotalSeconds:0.0} s" : $"still, {ScenarioClock.Between(from ?? run.Clock.Now, run.Clock.Now).TotalSeconds:0.0} s";

    /// <summary>The longest stretch in the window in which some follower received no event.</summary>
    private static TimeSpan LongestSilence(IEnumerable<Follower> followers, long from, long to)
    {
        var longest = TimeSpan.Zero;
        foreach (var follower in followers)
        {
            var previous = from;
            foreach (var received in follower.Deliveries.Select(d => d.Received).Where(r => r >= from && r <= to).Append(to))
            {
                var silence = ScenarioClock.Between(previous, received);
                longest = silence > longest ? silence : longest;
                previous = received;
            }
        }

        return longest;
    }
}
