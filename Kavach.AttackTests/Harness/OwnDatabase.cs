using Kavach.Processes;
using Npgsql;

namespace Kavach.AttackTests.Harness;

/// <summary>
/// A database of its own on the cluster's PostgreSQL, with replicas of its own on it: for attacks that restore, reset,
/// age or prune the stream, which the other attacks on the shared database must never see. Its replicas share the
/// cluster's Redis; fan-out is namespaced by stream id, so they hear only each other.
/// </summary>
public sealed class OwnDatabase
{
    private readonly AttackCluster _cluster;

    private OwnDatabase(AttackCluster cluster, string name)
    {
        _cluster = cluster;
        Name = name;
        ConnectionString = cluster.Postgres.ConnectionStringFor(name);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<OwnDatabase> CreateAsync(AttackCluster cluster, string name)
    {
        await cluster.Postgres.CreateDatabaseAsync(name);
        return new OwnDatabase(cluster, name);
    }

    /// <summary>A replica on this database with the cluster's settings and <paramref name="settings"/>; it migrates the schema.</summary>
    public Task<ApiReplica> StartReplicaAsync(string label, IReadOnlyDictionary<string, string>? settings = null)
    {
        var own = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["ConnectionStrings__kavachdb"] = ConnectionString,
        };
        return _cluster.StartReplicaAsync(label, own);
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
