using System.Globalization;
using Kavach.Processes;
using Npgsql;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// The system under attack: PostgreSQL, Redis, Azurite (the checkpoint witness) and two stream API replicas as real processes on 127.0.0.1, in the
/// Production environment, each with a 1 GiB GC heap limit (the Azure container's memory). As in production, the migrate
/// step runs first with the owner's connection and the replicas connect as the service's own role. Attacks that need
/// other settings start a replica of their own beside them (<see cref="StartReplicaAsync"/>).
/// </summary>
public sealed class AttackCluster : IAsyncDisposable
{
    /// <summary>The API's HS256 key: tokens the suite signs with it are "valid" in every way but the one being attacked.</summary>
    public const string SigningKey = "attack-suite-signing-key-0123456789-abcdefghijklmnop";

    /// <summary>A service client of <c>POST /api/kavach/tokens</c>.</summary>
    public const string ClientId = "attack-ci";
    public const string ClientSecret = "attack-suite-client-secret-0123456789";

    /// <summary>1 GiB, as the Azure Container Apps app has: a replica must survive every attack within it.</summary>
    public const long HeapLimitBytes = 1L << 30;

    private readonly string _workDirectory;
    private readonly Dictionary<string, string> _environment;
    private readonly List<ApiReplica> _extra = [];

    private AttackCluster(string workDirectory, PostgresServer postgres, RedisServer redis, AzuriteServer witness,
        Dictionary<string, string> environment, IReadOnlyList<ApiReplica> replicas)
    {
        _workDirectory = workDirectory;
        Postgres = postgres;
        Redis = redis;
        Witness = witness;
        _environment = environment;
        Replicas = replicas;
    }

    public PostgresServer Postgres { get; }

    public RedisServer Redis { get; }

    /// <summary>Azurite: the checkpoint witness every replica writes to (docs/integrity.md, "The witness").</summary>
    public AzuriteServer Witness { get; }

    public IReadOnlyList<ApiReplica> Replicas { get; }

    /// <summary>Settings every replica gets; an attack's own replica adds to them.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    public static async Task<AttackCluster> StartAsync(string name)
    {
        var workDirectory = Path.Combine(AttackSettings.WorkRoot, name);
        var logDirectory = Path.Combine(AttackSettings.LogRoot, name);
        Directory.CreateDirectory(workDirectory);
        Directory.CreateDirectory(logDirectory);

        var postgresStarting = PostgresServer.CreateAsync(workDirectory, logDirectory);
        var redisStarting = RedisServer.CreateAsync(workDirectory, logDirectory);
        var witnessStarting = AzuriteServer.CreateAsync(workDirectory, logDirectory);
        await Task.WhenAll(postgresStarting, redisStarting, witnessStarting);
        var (postgres, redis, witness) = (postgresStarting.Result, redisStarting.Result, witnessStarting.Result);
        await MigrateAsync(postgres, PostgresServer.Database, logDirectory);

        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__kavachdb"] = ServiceConnectionString(postgres, PostgresServer.Database),
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ConnectionStrings__witness"] = witness.ConnectionString,
            ["Kavach__Auth__SigningKey"] = SigningKey,
            ["Kavach__Auth__Clients__0__Id"] = ClientId,
            ["Kavach__Auth__Clients__0__Secret"] = ClientSecret,
            ["Kavach__Auth__Clients__0__Scopes"] = "events:read events:emit",
            ["Kavach__Stream__HeartbeatInterval"] = "00:00:02",
            ["Kavach__Stream__WriteTimeout"] = "00:00:05",
            ["Kavach__Integrity__CheckpointInterval"] = "00:00:02",
            ["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimitBytes.ToString("X", CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };

        var replicas = Enumerable.Range(0, 2)
            .Select(i => new ApiReplica(i, AttackSettings.StreamApiAssembly, environment, logDirectory))
            .ToList();
        await Task.WhenAll(replicas.Select(r => r.StartAsync()));
        return new AttackCluster(workDirectory, postgres, redis, witness, environment, replicas);
    }

    /// <summary>
    /// Another replica on the same PostgreSQL and Redis with settings of the attack's own (a tight limit, say),
    /// stopped with the cluster if the attack does not stop it first.
    /// </summary>
    public async Task<ApiReplica> StartReplicaAsync(string label, IReadOnlyDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>(_environment);
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var replica = new ApiReplica(_extra.Count, AttackSettings.StreamApiAssembly, environment,
            Path.Combine(AttackSettings.LogRoot, "attack"), label);
        _extra.Add(replica);
        await replica.StartAsync();
        return replica;
    }

    /// <summary>A connection as PostgreSQL's superuser: what a database writer holds.</summary>
    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(Postgres.ConnectionString + ";Timeout=5;Command Timeout=60");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A connection with the credentials the replicas run with: what a thief of the service's connection string holds.</summary>
    public async Task<NpgsqlConnection> OpenAsServiceAsync(string database = PostgresServer.Database)
    {
        var connection = new NpgsqlConnection(ServiceConnectionString(Postgres, database) + ";Timeout=5;Command Timeout=30;Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The connection the replicas get: the service role's, or, for a build without the migrate step, the superuser's.</summary>
    public static string ServiceConnectionString(PostgresServer postgres, string database) =>
        AttackSettings.AttackedBuildHasMigrateStep ? postgres.AppConnectionStringFor(database) : postgres.ConnectionStringFor(database);

    /// <summary>The migrate step on a database, as production runs it before the replicas (a build without it: they migrate themselves).</summary>
    public static async Task MigrateAsync(PostgresServer postgres, string database, string logDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        if (AttackSettings.AttackedBuildHasMigrateStep)
        {
            await MigrateStep.RunAsync(postgres, database, AttackSettings.StreamApiAssembly, logDirectory, settings);
        }
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Replicas.Concat(_extra).Select(r => r.StopAsync()));
        await Redis.DisposeAsync();
        await Witness.DisposeAsync();
        await Postgres.DisposeAsync();
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
