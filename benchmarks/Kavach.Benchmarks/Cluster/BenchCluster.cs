using System.Diagnostics;
using Kavach.Processes;
using Npgsql;

namespace Kavach.Benchmarks.Cluster;

/// <summary>
/// Everything the suite measures, as processes on 127.0.0.1: PostgreSQL (PostgreSQL's default durability: fsync
/// and synchronous_commit on), Redis, two Kavach.StreamApi replicas from this build, optionally two replicas of
/// another build on their own database of the same servers, and the floor; unless told otherwise, an OTLP sink
/// that every replica exports its telemetry to, as deployed replicas do.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    public const string BaselineDatabase = "kavachdb_baseline";

    /// <summary>
    /// Settings every replica gets: room for the largest workload's streams, no per-address or per-subject limit on
    /// streams, emits or webhook requests (every generator connects from 127.0.0.1 with one token per process, and drives
    /// thousands of emits a second: Kavach:Limits:Emit would measure itself), webhooks allowed to 127.0.0.0/8 (where the
    /// receiver listens), and logs at Warning so that logging is not what is measured. Everything else is the API's default.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> BenchStreamSettings = new Dictionary<string, string>
    {
        ["Kavach__Stream__MaxConnections"] = "25000",
        ["Kavach__Stream__MaxConnectionsPerAddress"] = "0",
        ["Kavach__Stream__MaxConnectionsPerSubject"] = "0",
        ["Kavach__Limits__Emit__PerSubject"] = "0",
        ["Kavach__Limits__Emit__PerAddress"] = "0",
        // W7 (webhooks) creates a thousand webhooks in a few seconds, and its receiver listens on 127.0.0.1.
        ["Kavach__Limits__Destinations__PerSubject"] = "0",
        ["Kavach__Limits__Destinations__PerAddress"] = "0",
        ["Kavach__Delivery__AllowedPrivateTargets__0"] = "127.0.0.0/8",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
    };

    private readonly string _workDirectory;

    private BenchCluster(string workDirectory, PostgresServer postgres, RedisServer redis, IReadOnlyList<ApiReplica> replicas,
        IReadOnlyList<ApiReplica> baseline, FloorServer floor, string signingKey, TelemetrySink? sink)
    {
        _workDirectory = workDirectory;
        Sink = sink;
        Postgres = postgres;
        Redis = redis;
        Replicas = replicas;
        BaselineReplicas = baseline;
        Floor = floor;
        SigningKey = signingKey;
        Api = ApiTarget("Kavach API", replicas, PostgresServer.Database);
        Baseline = baseline.Count > 0 ? ApiTarget("baseline API", baseline, BaselineDatabase) : null;
        FloorTarget = new Target("floor", [() => floor.BaseAddress], HeadOfFloorAsync,
            () => [("floor", floor.Pid ?? 0, false)], _ => floor.RestartAsync()) { IsFloor = true };
    }

    public PostgresServer Postgres { get; }

    public RedisServer Redis { get; }

    public IReadOnlyList<ApiReplica> Replicas { get; }

    public IReadOnlyList<ApiReplica> BaselineReplicas { get; }

    public FloorServer Floor { get; }

    /// <summary>Where the replicas export telemetry; null with <c>--exporter off</c>.</summary>
    public TelemetrySink? Sink { get; }

    /// <summary>Whether this build's replicas run with the exporter on now (W5 turns it off for a while).</summary>
    public bool ExporterOn { get; private set; }

    public string SigningKey { get; }

    public Target Api { get; }

    public Target? Baseline { get; }

    public Target FloorTarget { get; }

    public TimeSpan StartupTime { get; private set; }

    /// <param name="generators">Where the OTLP sink runs (it is a generator).</param>
    public static async Task<BenchCluster> StartAsync(string workDirectory, string logDirectory, string? baselineApi,
        ProcessPlacement? servers, ProcessPlacement? generators, bool exporter, Action<string> log)
    {
        var stopwatch = Stopwatch.StartNew();
        PostgresServer? postgres = null;
        RedisServer? redis = null;
        FloorServer? floor = null;
        TelemetrySink? sink = null;
        var replicas = new List<ApiReplica>();
        var baseline = new List<ApiReplica>();
        try
        {
            var postgresStarting = PostgresServer.CreateAsync(workDirectory, logDirectory, servers);
            var redisStarting = RedisServer.CreateAsync(workDirectory, logDirectory, servers);
            try
            {
                await Task.WhenAll(postgresStarting, redisStarting);
            }
            finally
            {
                postgres = postgresStarting.IsCompletedSuccessfully ? postgresStarting.Result : null;
                redis = redisStarting.IsCompletedSuccessfully ? redisStarting.Result : null;
            }

            log($"PostgreSQL (PID {postgres!.Pid}) and Redis (PID {redis!.Pid}) up after {stopwatch.Elapsed.TotalSeconds:0.0} s");
            var streamApi = BuiltAssemblies.Find(typeof(BenchCluster).Assembly, BuiltAssemblies.StreamApi);
            await MigrateStep.RunAsync(postgres, PostgresServer.Database, streamApi, logDirectory); // as deployed: the replicas run as the service's role
            await ProfilingHooks.PrepareAsync(postgres, logDirectory);
            var signingKey = "benchmark-signing-key-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
            var environment = new Dictionary<string, string>(BenchStreamSettings)
            {
                ["ConnectionStrings__kavachdb"] = postgres.AppConnectionStringFor(PostgresServer.Database),
                ["ConnectionStrings__redis"] = redis.ConnectionString,
                ["Kavach__Auth__SigningKey"] = signingKey,
            };
            if (exporter)
            {
                sink = await TelemetrySink.StartAsync(workDirectory, logDirectory, generators);
                foreach (var (key, value) in sink.ExporterEnvironment)
                {
                    environment[key] = value;
                }

                log($"OTLP sink up at {sink.Endpoint} (PID {sink.Pid}); the replicas export to it");
            }

            for (var i = 0; i < 2; i++)
            {
                replicas.Add(new ApiReplica(i, streamApi, environment, logDirectory, "replica", servers));
            }

            await Task.WhenAll(replicas.Select(r => r.StartAsync()));
            log($"Replicas up ({streamApi}) after {stopwatch.Elapsed.TotalSeconds:0.0} s");

            if (baselineApi is not null)
            {
                // Another build, perhaps from before the migrate step: its replicas migrate their database themselves.
                await postgres.CreateDatabaseAsync(BaselineDatabase);
                var baselineEnvironment = new Dictionary<string, string>(environment)
                {
                    ["ConnectionStrings__kavachdb"] = postgres.ConnectionStringFor(BaselineDatabase),
                };
                for (var i = 0; i < 2; i++)
                {
                    baseline.Add(new ApiReplica(i, baselineApi, baselineEnvironment, logDirectory, "baseline-replica", servers));
                }

                await baseline[0].StartAsync();
                await baseline[1].StartAsync();
                log($"Baseline replicas up ({baselineApi}) after {stopwatch.Elapsed.TotalSeconds:0.0} s");
            }

            floor = new FloorServer(BuiltAssemblies.Find(typeof(BenchCluster).Assembly, BuiltAssemblies.Floor), logDirectory, servers);
            await floor.StartAsync();
            return new BenchCluster(workDirectory, postgres, redis, replicas, baseline, floor, signingKey, sink)
            {
                StartupTime = stopwatch.Elapsed,
                ExporterOn = sink is not null,
            };
        }
        catch
        {
            if (floor is not null)
            {
                await floor.StopAsync();
            }

            await Task.WhenAll(replicas.Concat(baseline).Select(r => r.StopAsync()));
            if (sink is not null)
            {
                await sink.DisposeAsync();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }

            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// Restarts this build's replicas (both at once) with the exporter on or off: a fresh process each, on the same
    /// port. The baseline's replicas keep theirs.
    /// </summary>
    public async Task RestartReplicasAsync(bool exporter)
    {
        var sink = Sink ?? throw new InvalidOperationException("There is no OTLP sink in this run (--exporter off).");
        await Task.WhenAll(Replicas.Select(async replica =>
        {
            await replica.StopAsync();
            foreach (var (key, value) in sink.ExporterEnvironment)
            {
                replica.SetEnvironment(key, exporter ? value : null);
            }

            await replica.StartAsync();
        }));
        ExporterOn = exporter;
    }

    /// <summary>The stream's head in one of the server's databases.</summary>
    public async Task<long> HeadAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand("SELECT last_value FROM kavach_stream_sequence", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>pg_stat_database counters of one database: rows returned by scans, rows fetched, commits.</summary>
    public async Task<(long Returned, long Fetched, long Commits)> DatabaseReadsAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using (var flush = new NpgsqlCommand("SELECT pg_stat_force_next_flush()", connection))
        {
            await flush.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(
            "SELECT tup_returned, tup_fetched, xact_commit FROM pg_stat_database WHERE datname = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = database } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public async ValueTask DisposeAsync()
    {
        await Floor.StopAsync();
        await Task.WhenAll(Replicas.Concat(BaselineReplicas).Select(r => r.StopAsync()));
        if (Sink is not null)
        {
            try
            {
                await Sink.StopAsync(); // it prints what it received in all to its log
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
            }

            await Sink.DisposeAsync();
        }

        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Target ApiTarget(string name, IReadOnlyList<ApiReplica> replicas, string database) =>
        new(name, [.. replicas.Select(r => (Func<Uri>)(() => r.BaseAddress))], () => HeadAsync(database),
            () =>
            [
                .. replicas.Select(r => (r.Name, r.Pid ?? 0, false)),
                ("postgres", Postgres.Pid ?? 0, true),
                ("redis", Redis.Pid ?? 0, false),
            ],
            async index =>
            {
                await replicas[index].StopAsync();
                await replicas[index].StartAsync();
            });

    private async Task<long> HeadOfFloorAsync()
    {
        using var http = new HttpClient { BaseAddress = Floor.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        return long.Parse(await http.GetStringAsync("/head"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var connection = new NpgsqlConnection(Postgres.ConnectionStringFor(database) + ";Timeout=5;Command Timeout=30;Pooling=false");
        await connection.OpenAsync();
        return connection;
    }
}
