using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Kavach.Benchmarks.Cluster;
using Kavach.Benchmarks.Generators;
using Kavach.Benchmarks.Results;
using Kavach.Contracts;
using Kavach.Processes;
using Kavach.ServiceDefaults.Auth;
using Npgsql;

namespace Kavach.Benchmarks.Workloads;

/// <summary>
/// T: what the Merkle tree costs. Two replicas of their own, on a database of their own, take a million events (100,000
/// with --quick) in batches of 100; meanwhile the CPU of the PostgreSQL backends of the tree's own pool (application name
/// <c>kavach-stream-tree</c>: every block both replicas write) is read from /proc, per event. The baseline, in the same
/// run and measured the same way: the hash chain's fold over the first 100,000 of those events' bodies. Then inclusion
/// and consistency proofs against the head, one request at a time to each replica in turn, timed by the client.
/// </summary>
public sealed class MerkleTreeCost : IWorkload
{
    public const string Database = "kavachdb_merkle";

    private const string TreeApplication = "kavach-stream-tree";
    private const int ChainSample = 100_000;

    public string Title => "T — the Merkle tree: PostgreSQL CPU per event, and proof latency";

    public string Goal => "chain + tree ≤ 5 µs of PostgreSQL CPU per event; proofs p99 ≤ 20 ms";

    public async Task RunAsync(SuiteContext context, WorkloadReport report)
    {
        var sizes = context.Sizes;
        var cluster = context.Cluster;
        await cluster.Postgres.CreateDatabaseAsync(Database);
        var connectionString = cluster.Postgres.ConnectionStringFor(Database);
        var environment = new Dictionary<string, string>(BenchCluster.BenchStreamSettings)
        {
            ["ConnectionStrings__kavachdb"] = connectionString,
            ["ConnectionStrings__redis"] = cluster.Redis.ConnectionString,
            ["Kavach__Auth__SigningKey"] = cluster.SigningKey,
            ["Kavach__Limits__Proofs__PerSubject"] = "0",
            ["Kavach__Limits__Proofs__PerAddress"] = "0",
        };
        var streamApi = BuiltAssemblies.Find(typeof(MerkleTreeCost).Assembly, BuiltAssemblies.StreamApi);
        var replicas = Enumerable.Range(0, 2)
            .Select(i => new ApiReplica(i, streamApi, environment, context.LogDirectory, "merkle-replica", context.ServerPlacement))
            .ToList();
        try
        {
            foreach (var replica in replicas)
            {
                await replica.StartAsync();
            }

            var (emitted, treeCpu, postgresCpu, backends) = await EmitAsync(context, replicas, connectionString, sizes.MerkleEvents);
            var head = await ScalarAsync<long>(connectionString, "SELECT last_value FROM kavach_stream_sequence");
            using var http = Auditor(context);
            await WaitForTreesAsync(http, replicas, head);
            var chain = await ChainFoldAsync(connectionString);
            var inclusion = await ProofLatencyAsync(http, replicas, sizes.MerkleProofs, i => $"inclusion?sequence={1 + i * 7919L % head}&treeSize={head}");
            var consistency = await ProofLatencyAsync(http, replicas, sizes.MerkleProofs, i => $"consistency?from={1 + i * 7919L % head}&to={head}");
            var bytes = await ScalarAsync<long>(connectionString, "SELECT pg_total_relation_size('kavach_merkle_blocks')");
            var blocks = await ScalarAsync<long>(connectionString, "SELECT count(*) FROM kavach_merkle_blocks");

            var treeMicros = treeCpu / emitted * 1e6;
            report.Rows.Add(new ResultRow($"T PostgreSQL CPU per event: the tree ({emitted:N0} events, 2 replicas writing)",
                "chain + tree ≤ 5 µs", $"tree {treeMicros:0.00} µs", $"chain {chain:0.00} µs (same run)", $"total {chain + treeMicros:0.00} µs",
                chain + treeMicros <= 5 ? Verdict.Met : Verdict.NotMet, "—", "—", $"PostgreSQL {postgresCpu / emitted * 1e6:0.0} µs per event in all"));
            foreach (var (name, latency) in new[] { ("inclusion", inclusion), ("consistency", consistency) })
            {
                report.Rows.Add(new ResultRow($"T {name} proof on {head:N0} events (to the head, replicas in turn)", "p99 ≤ 20 ms",
                    $"p99 {Format.Ms(latency.P99)} (p50 {Format.Ms(latency.P50)}, max {Format.Ms(latency.Max)})", "—", "—",
                    latency.P99 <= 20 ? Verdict.Met : Verdict.NotMet, $"{latency.Count:N0} proofs, all 200", "—", "—"));
            }

            report.Details.Add($"{emitted:N0} events emitted in batches of 100 from 8 connections to both replicas ({Database}); the tree's " +
                $"{backends} PostgreSQL backends (application_name {TreeApplication}) used {treeCpu:0.00} s of CPU: {treeMicros:0.00} µs per event. " +
                $"PostgreSQL as a whole used {postgresCpu:0.0} s ({postgresCpu / emitted * 1e6:0.0} µs per event: the emits themselves, the chain, the " +
                "hubs' reads, the tree). The chain's fold, measured the same way (the backend's own CPU) over the first " +
                $"{ChainSample:N0} of these events' bodies, less array_agg of the same bodies: {chain:0.00} µs per event.");
            report.Details.Add($"Stored: {blocks:N0} blocks, {Format.Bytes(bytes)} with indexes and TOAST ({(double)bytes / head:0.0} bytes per event).");
            report.Details.Add($"Proofs to the head ({head:N0}), {sizes.MerkleProofs:N0} of each, one at a time, alternating replicas, over HTTP/1.1 " +
                $"keep-alive: inclusion {inclusion}; consistency {consistency}.");
        }
        finally
        {
            await Task.WhenAll(replicas.Select(r => r.StopAsync()));
        }
    }

    /// <summary>Closed-loop emits until <paramref name="target"/> events are stored, with the tree's and PostgreSQL's CPU over the stretch.</summary>
    private static async Task<(long Events, double TreeCpu, double PostgresCpu, int Backends)> EmitAsync(SuiteContext context, List<ApiReplica> replicas,
        string connectionString, long target)
    {
        var urls = string.Join(',', replicas.Select(r => r.BaseAddress.ToString().TrimEnd('/')));
        await using var tree = await BackendCpu.StartAsync(connectionString, Database, TreeApplication);
        var postgres = CpuMeter.Start([("postgres", context.Cluster.Postgres.Pid ?? 0, true)], []);
        long stored;
        while ((stored = await ScalarAsync<long>(connectionString, "SELECT last_value FROM kavach_stream_sequence")) < target)
        {
            context.Log($"  {stored:N0} of {target:N0} events stored");
            await using var emitter = context.StartEmitter($"merkle-emit-{stored}", urls, 8, 100, "--duration 20", warmup: 0);
            await emitter.ResultAsync(TimeSpan.FromSeconds(120));
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // the last blocks written
        var (treeCpu, backends) = await tree.StopAsync();
        return (stored, treeCpu, postgres.Stop().Seconds("postgres"), backends);
    }

    private static HttpClient Auditor(SuiteContext context)
    {
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            KavachTokens.Issue(context.Cluster.SigningKey, "merkle-auditor", [KavachScopes.Read], TimeSpan.FromHours(1)));
        return http;
    }

    private static async Task WaitForTreesAsync(HttpClient http, List<ApiReplica> replicas, long head)
    {
        var deadline = Stopwatch.StartNew();
        foreach (var replica in replicas)
        {
            while (true)
            {
                using var answer = await http.GetAsync(new Uri(replica.BaseAddress, $"/api/kavach/events/proofs/consistency?from={head}&to={head}"));
                if (answer.IsSuccessStatusCode)
                {
                    break;
                }

                if (deadline.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException($"{replica.Name}'s tree did not reach {head}: {await answer.Content.ReadAsStringAsync()}");
                }

                await Task.Delay(250);
            }
        }
    }

    /// <summary>µs of PostgreSQL CPU per event for kavach_chain over the stored bodies, net of gathering them (median of three).</summary>
    private static async Task<double> ChainFoldAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false;Command Timeout=300");
        await connection.OpenAsync();
        var pid = await ScalarAsync<int>(connection, "SELECT pg_backend_pid()");
        var bodies = $"(SELECT array_agg(body ORDER BY sequence) FROM (SELECT sequence, body FROM kavach_stream_events ORDER BY sequence LIMIT {ChainSample}) b)";
        async Task<double> CpuOf(string sql)
        {
            var before = ProcessStats.CpuTime(pid);
            await ScalarAsync<int>(connection, sql);
            return (ProcessStats.CpuTime(pid) - before).TotalSeconds;
        }

        var runs = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var gather = await CpuOf($"SELECT array_length({bodies}, 1)");
            var fold = await CpuOf($"SELECT array_length(kavach_chain(NULL, 0, 1, {bodies}), 1)");
            runs.Add((fold - gather) / ChainSample * 1e6);
        }

        return runs.Order().ElementAt(1);
    }

    private static async Task<ProofTimes> ProofLatencyAsync(HttpClient http, List<ApiReplica> replicas, int samples, Func<int, string> query)
    {
        var times = new ProofTimes();
        for (var i = -samples / 10; i < samples; i++) // a tenth first, not timed: connections and JIT
        {
            var started = Stopwatch.GetTimestamp();
            using var answer = await http.GetAsync(new Uri(replicas[(i & 1)].BaseAddress, $"/api/kavach/events/proofs/{query(Math.Abs(i))}"));
            var body = await answer.Content.ReadAsStringAsync();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (!answer.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{query(Math.Abs(i))}: {(int)answer.StatusCode} {body}");
            }

            using var proof = JsonDocument.Parse(body);
            if (i >= 0)
            {
                times.Add(elapsed);
            }
        }

        return times;
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false;Timeout=5");
        await connection.OpenAsync();
        return await ScalarAsync<T>(connection, sql);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Client-side latencies in milliseconds.</summary>
    private sealed class ProofTimes
    {
        private readonly List<double> _samples = [];

        public int Count => _samples.Count;

        public double P50 => Percentile(0.5);

        public double P99 => Percentile(0.99);

        public double Max => _samples.Max();

        public void Add(double milliseconds) => _samples.Add(milliseconds);

        public override string ToString() => $"p50 {Format.Ms(P50)}, p99 {Format.Ms(P99)}, max {Format.Ms(Max)} ({Count:N0} proofs)";

        private double Percentile(double quantile)
        {
            var sorted = _samples.Order().ToList();
            return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];
        }
    }
}
