using System.Globalization;
using System.Text.Json;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;
using Kavach.Benchmarks.Workloads;
using Kavach.Processes;

namespace Kavach.Benchmarks;

/// <summary>What every workload uses: the cluster, the sizes, where generators run, and the common moves.</summary>
public sealed class SuiteContext(SuiteOptions options, BenchCluster cluster, string workDirectory, string logDirectory, Action<string> log)
{
    private PostgresRate? _bareInsert;

    public SuiteOptions Options { get; } = options;

    public Sizes Sizes { get; } = new(options.Quick, options.Warmup);

    public BenchCluster Cluster { get; } = cluster;

    public string WorkDirectory { get; } = workDirectory;

    public string LogDirectory { get; } = logDirectory;

    /// <summary>Pinned: the generators' own core; otherwise anywhere.</summary>
    public ProcessPlacement? GeneratorPlacement { get; } = options.Pin ? new ProcessPlacement(Cpus: "1") : null;

    /// <summary>Pinned: the servers' core, for servers a workload starts of its own.</summary>
    public ProcessPlacement? ServerPlacement { get; } = options.Pin ? new ProcessPlacement(Cpus: "0") : null;

    public void Log(string message) => log(message);

    /// <summary>
    /// Starts <paramref name="count"/> subscribers, spread over <paramref name="urls"/> and over enough generator
    /// processes (at least <paramref name="minimumProcesses"/>), each resuming after <paramref name="after"/> so that
    /// every one must receive exactly the events committed from then on; waits until all are connected.
    /// </summary>
    public async Task<List<Generator>> StartSubscribersAsync(string name, string urls, int count, long after,
        int minimumProcesses = 1, IEnumerable<string>? extra = null, double timeoutSeconds = 600)
    {
        var processes = Math.Max(minimumProcesses, (count + Sizes.SubscribersPerProcess - 1) / Sizes.SubscribersPerProcess);
        var generators = new List<Generator>();
        try
        {
            for (var i = 0; i < processes; i++)
            {
                var connections = count / processes + (i < count % processes ? 1 : 0);
                generators.Add(Generator.Start(this, $"{name}-{i}", "subscribe",
                [
                    "--url", urls, "--connections", Text(connections), "--after", Text(after),
                    "--signing-key", Cluster.SigningKey, "--subject", $"{name}-{i}", "--timeout", Text(timeoutSeconds),
                    "--drain", "20", .. extra ?? [],
                ]));
            }

            var readyTimeout = TimeSpan.FromSeconds(60 + count / 100.0);
            await Task.WhenAll(generators.Select(g => g.WaitReadyAsync(readyTimeout)));
            return generators;
        }
        catch
        {
            await Task.WhenAll(generators.Select(g => g.DisposeAsync().AsTask()));
            throw;
        }
    }

    /// <summary>Tells subscribers the last sequence, waits for them to reach it (bounded) and sums what they saw.</summary>
    public async Task<(SubscriberTotals Totals, List<JsonElement> Summaries)> StopSubscribersAsync(IReadOnlyList<Generator> subscribers, long until)
    {
        foreach (var subscriber in subscribers)
        {
            subscriber.Stop(until);
        }

        var summaries = new List<JsonElement>();
        foreach (var subscriber in subscribers)
        {
            summaries.Add(await subscriber.ResultAsync(TimeSpan.FromSeconds(60)));
        }

        return (SubscriberTotals.From(summaries), summaries);
    }

    /// <param name="schedule">Emit options: <c>--rate R --duration S</c>, or <c>--steps R:S,...</c>, and any others.</param>
    public Generator StartEmitter(string name, string urls, int connections, int batch, string schedule, double warmup)
    {
        var arguments = new List<string>
        {
            "--url", urls, "--connections", Text(connections), "--batch", Text(batch), "--warmup", Text(warmup),
            "--signing-key", Cluster.SigningKey, "--subject", name,
        };
        arguments.AddRange(schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return Generator.Start(this, name, "emit", arguments);
    }

    /// <summary>
    /// Servers of <paramref name="target"/> and the given generators, metered from now; for the API, while its
    /// replicas export, the OTLP sink counts as a generator.
    /// </summary>
    public CpuMeter Meter(Cluster.Target target, IEnumerable<Generator> generators) =>
        CpuMeter.Start(target.ServerProcesses, [.. generators.Select(g => (g.Name, g.Pid)),
            .. Cluster.Sink is { } sink && Cluster.ExporterOn && !target.IsFloor ? [(TelemetrySink.Name, sink.Pid)] : Array.Empty<(string, int)>()]);

    /// <summary>
    /// PostgreSQL's own multi-row INSERT of the rows an emit stores, measured once per run and shared: W5b's
    /// reference rate, and the per-row CPU that W5's and W5b's PostgreSQL CPU per event are compared with.
    /// </summary>
    public async Task<PostgresRate> BareInsertAsync(WorkloadReport report) =>
        _bareInsert ??= await PostgresRate.MeasureAsync(this, report, "insert");

    /// <summary>
    /// The same INSERT shaped like W5's load: one row per transaction from as many connections as W5 has clients, so
    /// that W5's PostgreSQL CPU per event is compared with a commit per row, as its clients ask.
    /// </summary>
    public Task<PostgresRate> BareSingleRowInsertAsync(WorkloadReport report) =>
        PostgresRate.MeasureAsync(this, report, "insert", batch: 1, connections: Sizes.W5Clients);

    public static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
