using System.Diagnostics;
using Kavach.Contracts;
using Kavach.Processes;
using Kavach.ServiceDefaults.Auth;
using Npgsql;

namespace Kavach.FaultTests.Harness;

/// <summary>
/// PostgreSQL, Redis and N stream API replicas as real processes on 127.0.0.1, owned by this test process: the
/// system under test, without the AppHost (which cannot stop and restart a resource mid-test). Each process logs
/// to its own file under the test results directory.
/// </summary>
public sealed class FaultCluster : IAsyncDisposable
{
    /// <summary>
    /// Settings every replica gets (then the cluster's own): more streams than the storm opens, no per-address limit
    /// on streams or emits and no per-subject limit on emits (every client here is on 127.0.0.1, and the emitters
    /// share one token and drive up to a thousand emits a second, retries on top), heartbeats often enough to tell a
    /// silent stream from a dead one, and a short write timeout for the stalled-reader scenario.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SuiteStreamSettings = new Dictionary<string, string>
    {
        // Room for the reconnect storm and the followers, with its cut-off clients reconnecting before their old
        // connections are gone: a refusal (503) there would be the suite's limit, not the storm's behaviour.
        ["Kavach__Stream__MaxConnections"] = Math.Max(2000, SuiteSettings.StormClients * 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Kavach__Stream__MaxConnectionsPerAddress"] = "0",
        ["Kavach__Limits__Emit__PerSubject"] = "0",
        ["Kavach__Limits__Emit__PerAddress"] = "0",
        ["Kavach__Stream__HeartbeatInterval"] = "00:00:02",
        ["Kavach__Stream__ReconnectDelay"] = "00:00:00.500",
        ["Kavach__Stream__WriteTimeout"] = "00:00:03",
    };

    private readonly string _workDirectory;

    private FaultCluster(string name, string workDirectory, string logDirectory, PostgresServer postgres, RedisServer redis,
        IReadOnlyList<ApiReplica> replicas, string signingKey)
    {
        Name = name;
        _workDirectory = workDirectory;
        LogDirectory = logDirectory;
        Postgres = postgres;
        Redis = redis;
        Replicas = replicas;
        SigningKey = signingKey;
        EmitToken = KavachTokens.Issue(signingKey, "fault-emitter", [KavachScopes.Emit], TimeSpan.FromHours(2));
        ReadToken = KavachTokens.Issue(signingKey, "fault-follower", [KavachScopes.Read], TimeSpan.FromHours(2));
    }

    public string Name { get; }

    public string LogDirectory { get; }

    public PostgresServer Postgres { get; }

    public RedisServer Redis { get; }

    public IReadOnlyList<ApiReplica> Replicas { get; }

    public string SigningKey { get; }

    public string EmitToken { get; }

    public string ReadToken { get; }

    /// <summary>A read token of its own for one follower: each is a separate client, as in production.</summary>
    public string ReadTokenFor(string subject) => KavachTokens.Issue(SigningKey, subject, [KavachScopes.Read], TimeSpan.FromHours(2));

    /// <summary>How long the cluster took to start, for the log.</summary>
    public TimeSpan StartupTime { get; private set; }

    public static async Task<FaultCluster> StartAsync(string name, IReadOnlyDictionary<string, string>? streamSettings = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var workDirectory = Path.Combine(SuiteSettings.WorkRoot, name);
        var logDirectory = Path.Combine(SuiteSettings.LogRoot, name);
        Directory.CreateDirectory(workDirectory);
        Directory.CreateDirectory(logDirectory);
        foreach (var old in Directory.EnumerateFiles(logDirectory, "*.log"))
        {
            File.Delete(old); // this run's logs only
        }

        PostgresServer? postgres = null;
        RedisServer? redis = null;
        var replicas = new List<ApiReplica>();
        try
        {
            var postgresStarting = PostgresServer.CreateAsync(workDirectory, logDirectory);
            var redisStarting = RedisServer.CreateAsync(workDirectory, logDirectory);
            try
            {
                await Task.WhenAll(postgresStarting, redisStarting);
            }
            finally
            {
                postgres = postgresStarting.IsCompletedSuccessfully ? postgresStarting.Result : null;
                redis = redisStarting.IsCompletedSuccessfully ? redisStarting.Result : null;
            }

            // As deployed: the migrate step with the owner's connection, then replicas as the service's own role.
            await MigrateStep.RunAsync(postgres!, PostgresServer.Database, SuiteSettings.StreamApiAssembly, logDirectory);
            var signingKey = "fault-suite-signing-key-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
            var environment = new Dictionary<string, string>(SuiteStreamSettings)
            {
                ["ConnectionStrings__kavachdb"] = postgres!.AppConnectionStringFor(PostgresServer.Database),
                ["ConnectionStrings__redis"] = redis!.ConnectionString,
                ["Kavach__Auth__SigningKey"] = signingKey,
                ["Logging__LogLevel__Default"] = "Information",
                ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
                ["Logging__Console__FormatterName"] = "simple",
                ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            };
            foreach (var (key, value) in streamSettings ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }

            for (var i = 0; i < SuiteSettings.Replicas; i++)
            {
                replicas.Add(new ApiReplica(i, SuiteSettings.StreamApiAssembly, environment, logDirectory));
            }

            await Task.WhenAll(replicas.Select(r => r.StartAsync()));

            return new FaultCluster(name, workDirectory, logDirectory, postgres, redis, replicas, signingKey)
            {
                StartupTime = stopwatch.Elapsed,
            };
        }
        catch
        {
            await Task.WhenAll(replicas.Select(r => r.StopAsync()));
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

    /// <summary>Brings back anything a failed scenario left stopped, so the next one starts from a whole cluster.</summary>
    public async Task EnsureHealthyAsync()
    {
        if (!Postgres.IsRunning)
        {
            await Postgres.StartAsync();
        }

        if (!Redis.IsRunning)
        {
            await Redis.StartAsync();
        }

        await Task.WhenAll(Replicas.Where(r => !r.IsRunning).Select(r => r.StartAsync()));
    }

    /// <summary>The last sequence PostgreSQL has assigned (committed): the stream's head.</summary>
    public async Task<long> HeadAsync(TimeSpan? timeout = null)
    {
        return await RetryWhileUnavailableAsync(async () =>
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand("SELECT last_value FROM kavach_stream_sequence", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }, timeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>The committed rows with sequence in (after, upTo], as sequence → id.</summary>
    public async Task<SortedDictionary<long, string>> RowsAsync(long after, long upTo)
    {
        return await RetryWhileUnavailableAsync(async () =>
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT sequence, id FROM kavach_stream_events WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence", connection)
            {
                Parameters = { new NpgsqlParameter { Value = after }, new NpgsqlParameter { Value = upTo } },
            };
            var rows = new SortedDictionary<long, string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[reader.GetInt64(0)] = reader.GetString(1);
            }

            return rows;
        }, TimeSpan.FromSeconds(30));
    }

    /// <summary>Where each of the given ids is stored (absent ids are missing from the answer).</summary>
    public async Task<Dictionary<string, long>> SequencesOfAsync(IReadOnlyCollection<string> ids)
    {
        return await RetryWhileUnavailableAsync(async () =>
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT id, sequence FROM kavach_stream_events WHERE id = ANY($1)", connection)
            {
                Parameters = { new NpgsqlParameter { Value = ids.ToArray() } },
            };
            var found = new Dictionary<string, long>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found[reader.GetString(0)] = reader.GetInt64(1);
            }

            return found;
        }, TimeSpan.FromSeconds(30));
    }

    /// <summary>The first event committed at or after the given time (PostgreSQL's clock, the same machine's), if any yet.</summary>
    public async Task<(long Sequence, string Id)?> FirstCommittedSinceAsync(DateTimeOffset since)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT sequence, id FROM kavach_stream_events WHERE committed_at >= $1 ORDER BY sequence LIMIT 1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = since.UtcDateTime } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Replicas.Select(r => r.StopAsync()));
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

    /// <summary>A connection to the cluster's database as its owner, for checks a test makes itself.</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Postgres.ConnectionString + ";Timeout=3;Command Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<T> RetryWhileUnavailableAsync<T>(Func<Task<T>> read, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await read();
            }
            catch (NpgsqlException) when (waited.Elapsed < timeout)
            {
                await Task.Delay(100);
            }
        }
    }
}
