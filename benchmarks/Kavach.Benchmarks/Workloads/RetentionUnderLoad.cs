using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;
using Kavach.Contracts;
using Kavach.Processes;
using Kavach.ServiceDefaults.Auth;
using Npgsql;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// R: retention under sustained load. Two replicas of this build on a database of their own, with a one-minute
/// retention swept every few seconds, take a steady stream of emits for minutes (3,000 events/s for 10 minutes in a
/// full run). The table's rows and size are sampled as it runs, each sweep's batches are read from the replicas' logs,
/// and the chain of what remains is verified at the end. Bounded: the rows never exceed what the window (retention
/// plus two sweep intervals) holds at the measured rate, no sweep fails, and what remains verifies.
/// </summary>
public sealed partial class RetentionUnderLoad : IWorkload
{
    public const string Database = "kavachdb_retention";

    public string Title => "R — retention under sustained load";

    public string Goal => "rows ≤ rate × (retention + 2 sweeps); no sweep fails; what remains verifies";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var cluster = context.Cluster;
        await cluster.Postgres.CreateDatabaseAsync(Database);
        var streamApi = BuiltAssemblies.Find(typeof(RetentionUnderLoad).Assembly, BuiltAssemblies.StreamApi);
        // The owner lets retention remove what is older than the workload's window, and no younger.
        await MigrateStep.RunAsync(cluster.Postgres, Database, streamApi, context.LogDirectory,
            new Dictionary<string, string> { ["Kavach__Stream__Retention"] = sizes.Retention.ToString() });
        var environment = new Dictionary<string, string>(BenchClusterSettings(context))
        {
            ["ConnectionStrings__kavachdb"] = cluster.Postgres.AppConnectionStringFor(Database),
            ["Kavach__Stream__Retention"] = sizes.Retention.ToString(),
            ["Kavach__Stream__RetentionSweepInterval"] = sizes.RetentionSweep.ToString(),
            // Each sweep is logged at Information. (A category of its own cannot be named here: /bin/sh, through which
            // the replicas start, drops variables whose names hold dots.)
            ["Logging__LogLevel__Default"] = "Information",
        };
        var replicas = Enumerable.Range(0, 2)
            .Select(i => new ApiReplica(i, streamApi, environment, context.LogDirectory, "retention-replica", context.ServerPlacement))
            .ToList();
        try
        {
            foreach (var replica in replicas)
            {
                await replica.StartAsync();
            }

            var urls = string.Join(',', replicas.Select(r => r.BaseAddress.ToString().TrimEnd('/')));
            await using var emitter = context.StartEmitter("retention-emit", urls, sizes.RetentionConnections, sizes.RetentionBatch,
                $"--rate {SuiteContext.Text(sizes.RetentionRate)} --duration {SuiteContext.Text(sizes.RetentionSeconds)}", warmup: 0);
            var samples = await SampleUntilDoneAsync(context, emitter, sizes);
            var emit = EmitTotals.From(await emitter.ResultAsync(TimeSpan.FromSeconds(120)));
            var verdict = await VerifyAsync(context, replicas[0]);
            var sweeps = Sweeps.Read(replicas);
            Summarize(report, sizes, emit, samples, sweeps, verdict);
        }
        finally
        {
            await Task.WhenAll(replicas.Select(r => r.StopAsync()));
        }
    }

    private static IReadOnlyDictionary<string, string> BenchClusterSettings(SuiteContext context) => new Dictionary<string, string>(
        BenchCluster.BenchStreamSettings)
    {
        ["ConnectionStrings__redis"] = context.Cluster.Redis.ConnectionString,
        ["Kavach__Auth__SigningKey"] = context.Cluster.SigningKey,
    };

    /// <summary>The table as it stands, every sampling interval, until the emitter is done.</summary>
    private static async Task<List<Sample>> SampleUntilDoneAsync(SuiteContext context, Generator emitter, Sizes sizes)
    {
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(context.Cluster.Postgres.ConnectionStringFor(Database) + ";Timeout=5;Command Timeout=30;Pooling=false");
        await connection.OpenAsync();
        while (!emitter.HasExited)
        {
            samples.Add(await Sample.ReadAsync(connection, clock.Elapsed));
            await Task.Delay(sizes.RetentionSampleInterval);
        }

        samples.Add(await Sample.ReadAsync(connection, clock.Elapsed));
        return samples;
    }

    /// <summary>GET /api/kavach/events/verify over everything kept: valid, and starting from retention's anchor.</summary>
    private static async Task<string> VerifyAsync(SuiteContext context, ApiReplica replica)
    {
        using var http = new HttpClient { BaseAddress = replica.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            KavachTokens.Issue(context.Cluster.SigningKey, "retention-verifier", [KavachScopes.Read], TimeSpan.FromMinutes(10)));
        using var report = JsonDocument.Parse(await http.GetStringAsync("/api/kavach/events/verify"));
        var root = report.RootElement;
        return root.GetProperty("valid").GetBoolean() && root.GetProperty("startsAtRetention").GetBoolean()
            ? $"valid, {root.GetProperty("checked").GetInt64():N0} events from the anchor at #{root.GetProperty("from").GetInt64() - 1:N0}"
            : $"NOT VALID: {root}";
    }

    private static void Summarize(WorkloadReport report, Sizes sizes, EmitTotals emit, List<Sample> samples, Sweeps sweeps, string verify)
    {
        var rate = emit.EventsPerSecond;
        var bound = (long)(rate * (sizes.Retention + 2 * sizes.RetentionSweep).TotalSeconds);
        var maxRows = samples.Max(s => s.Rows);
        var maxSize = samples.Max(s => s.TotalBytes);
        var bounded = maxRows <= bound;
        var valid = verify.StartsWith("valid", StringComparison.Ordinal);
        report.Violations += (bounded ? 0 : 1) + sweeps.Failed + (valid ? 0 : 1);
        report.Rows.Add(new ResultRow($"R rows kept at {Format.Rate(rate)} for {sizes.RetentionSeconds:0} s (retention {sizes.Retention.TotalSeconds:0} s)",
            "rows ≤ rate × (retention + 2 sweeps)", $"max {maxRows:N0} rows, {Format.Bytes(maxSize)}; last {samples[^1].Rows:N0}, {Format.Bytes(samples[^1].TotalBytes)}",
            $"bound {bound:N0} rows", Format.Ratio((double)maxRows / bound), bounded && sweeps.Failed == 0 && valid ? Verdict.Met : Verdict.NotMet,
            $"{sweeps.Failed} failed sweeps; verify {(valid ? "valid" : "NOT valid")}", $"{emit.CpuSeconds:0.0} s", "—"));
        report.Details.Add($"{Format.Rate(rate)} acknowledged ({emit.AckedTotal:N0} events, {sizes.RetentionBatch} per request, answers {emit.StatusText}, " +
            $"request latency {emit.RequestLatency}); Retention {sizes.Retention}, RetentionSweepInterval {sizes.RetentionSweep}, " +
            $"RetentionBatchSize 1000 (default), two replicas on database {Database}.");
        report.Details.Add($"Sweeps: {sweeps.Describe()}.");
        report.Details.Add($"Verification at the end: {verify}.");
        report.Details.Add("");
        report.Details.Add("| t | rows | table + indexes | heap | dead rows | oldest kept | head |");
        report.Details.Add("| --- | --- | --- | --- | --- | --- | --- |");
        var every = Math.Max(1, (int)Math.Round(sizes.RetentionTableInterval / sizes.RetentionSampleInterval));
        foreach (var sample in samples.Where((_, i) => i % every == 0 || i == samples.Count - 1))
        {
            report.Details.Add($"| {sample.At.TotalSeconds:0} s | {sample.Rows:N0} | {Format.Bytes(sample.TotalBytes)} | {Format.Bytes(sample.HeapBytes)} | " +
                $"{sample.DeadRows:N0} | {sample.Oldest?.ToString("N0", CultureInfo.InvariantCulture) ?? "—"} | {sample.Head:N0} |");
        }
    }

    private sealed record Sample(TimeSpan At, long Rows, long TotalBytes, long HeapBytes, long DeadRows, long? Oldest, long Head)
    {
        public static async Task<Sample> ReadAsync(NpgsqlConnection connection, TimeSpan at)
        {
            await using var command = new NpgsqlCommand("""
                SELECT (SELECT count(*) FROM kavach_stream_events),
                       pg_total_relation_size('kavach_stream_events'), pg_relation_size('kavach_stream_events'),
                       coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'kavach_stream_events'), 0),
                       (SELECT min(sequence) FROM kavach_stream_events),
                       (SELECT last_value FROM kavach_stream_sequence)
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return new Sample(at, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.GetInt64(5));
        }
    }

    /// <summary>Each sweep as the replicas logged it (RetentionPruner, at Information).</summary>
    private sealed partial record Sweeps(List<(long Removed, int Batches, double Milliseconds, double LongestBatch)> Done, int Skipped, int Failed)
    {
        public static Sweeps Read(IEnumerable<ApiReplica> replicas)
        {
            // This run's lines only: a log file given again (the same --results) keeps earlier runs' lines above its start.
            var lines = replicas.Select(r => r.LogTail(int.MaxValue).Split('\n'))
                .SelectMany(log => log.Skip(Array.FindLastIndex(log, l => l.StartsWith("---- ", StringComparison.Ordinal)) + 1))
                .ToList();
            var done = lines.Select(l => Removed().Match(l)).Where(m => m.Success)
                .Select(m => (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                    double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture)))
                .ToList();
            return new Sweeps(done, lines.Count(l => l.Contains("Retention sweep skipped", StringComparison.Ordinal)),
                lines.Count(l => l.Contains("Retention sweep failed", StringComparison.Ordinal)));
        }

        public string Describe() => Done.Count == 0
            ? $"none removed anything; {Skipped} skipped, {Failed} failed"
            : $"{Done.Count} removed {Done.Sum(d => d.Removed):N0} events in {Done.Sum(d => d.Batches):N0} batches; " +
              $"a sweep took {Format.Ms(Done.Min(d => d.Milliseconds))}–{Format.Ms(Done.Max(d => d.Milliseconds))}, " +
              $"a batch {Format.Ms(Done.Sum(d => d.Milliseconds) / Done.Sum(d => d.Batches))} on average, the longest {Format.Ms(Done.Max(d => d.LongestBatch))}; " +
              $"{Skipped} skipped (the other replica held the retention lock), {Failed} failed";

        [GeneratedRegex(@"Retention removed (\d+) events older than \S+ in (\d+) batches \((\d+) ms; longest batch ([\d.]+) ms\)")]
        private static partial Regex Removed();
    }
}
