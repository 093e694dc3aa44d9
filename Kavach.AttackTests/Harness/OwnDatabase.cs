using Kavach.Processes;
using Npgsql;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// A database of its own on the cluster's PostgreSQL, with replicas of its own on it: for attacks that restore, reset,
/// age or prune the stream, which the other attacks on the shared database must never see. Its replicas share the
/// cluster's Redis; fan-out is namespaced by stream id, so they hear only each other. Its migrate step runs before its
/// first replica starts (an attack may lay down an older schema first), and its replicas run as the service's role.
/// </summary>
public sealed class OwnDatabase
{
    /// <summary>Retention may remove events from one minute old: each attack's replicas choose their own retention above it.</summary>
    public static readonly TimeSpan PrunableAfter = TimeSpan.FromMinutes(1);

    private readonly AttackCluster _cluster;
    private readonly TimeSpan _ownerRetention;
    private bool _migrated;

    private OwnDatabase(AttackCluster cluster, string name, TimeSpan ownerRetention)
    {
        _cluster = cluster;
        _ownerRetention = ownerRetention;
        Name = name;
        ConnectionString = cluster.Postgres.ConnectionStringFor(name);
    }

    public string Name { get; }

    /// <summary>The superuser's (a database writer's).</summary>
    public string ConnectionString { get; }

    /// <param name="ownerRetention">The migrate step's <c>Kavach:Stream:Retention</c>: retention never removes a younger event.</param>
    public static async Task<OwnDatabase> CreateAsync(AttackCluster cluster, string name, TimeSpan? ownerRetention = null)
    {
        await cluster.Postgres.CreateDatabaseAsync(name);
        return new OwnDatabase(cluster, name, ownerRetention ?? PrunableAfter);
    }

    /// <summary>The migrate step on this database (once), then a replica with the cluster's settings and <paramref name="settings"/>.</summary>
    public async Task<ApiReplica> StartReplicaAsync(string label, IReadOnlyDictionary<string, string>? settings = null)
    {
        await MigrateAsync();
        var own = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["ConnectionStrings__kavachdb"] = AttackCluster.ServiceConnectionString(_cluster.Postgres, Name),
        };
        return await _cluster.StartReplicaAsync(label, own);
    }

    public async Task MigrateAsync()
    {
        if (!_migrated)
        {
            await AttackCluster.MigrateAsync(_cluster.Postgres, Name, Path.Combine(AttackSettings.LogRoot, "attack"),
                new Dictionary<string, string> { ["Kavach__Stream__Retention"] = _ownerRetention.ToString("c") });
            _migrated = true;
        }
    }

    /// <summary>A connection as PostgreSQL's superuser.</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString + ";Timeout=5;Command Timeout=60;Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = Command(connection, sql, parameters);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
