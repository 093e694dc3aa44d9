using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>The history-read pool: a data source of its own, so a reconnect storm's replays wait for each other, never for emits.</summary>
public sealed class HistoryDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    // The container disposes what it made: without this a stopped host's pool kept its idle connections open.
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>The revocations' own small pool: a replica that cannot read revocations refuses every token (see Revocations).</summary>
public sealed class RevocationDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    /// <summary>Connections it may open: the follower's reads and an admin's revocation at once.</summary>
    public const int PoolSize = 2;

    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>
/// The Merkle tree's own small pool: its block writes never wait behind emits for a connection, nor emits behind them;
/// PostgreSQL sees its sessions as <c>kavach-stream-tree</c> (what the benchmark meters).
/// </summary>
public sealed class TreeDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public const int PoolSize = 2;

    public const string ApplicationName = "kavach-stream-tree";

    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

public static class EventDatabase
{
    public const string ConnectionName = "kavachdb";

    /// <summary>
    /// Four pools on the <c>kavachdb</c> connection: the main one (emits, hub, health, retention), the history one, and
    /// the revocations' and the Merkle tree's own.
    /// Both bound every wait: connect, statements, the sequence lock and idle transactions.
    /// </summary>
    public static IHostApplicationBuilder AddEventDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();

        builder.AddNpgsqlDataSource(ConnectionName,
            settings => settings.DisableHealthChecks = true,
            dataSource => Bound(dataSource.ConnectionStringBuilder, options, options.MaxPoolSize, "kavach-stream"));

        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        builder.Services.AddSingleton(sp =>
        {
            var history = new NpgsqlDataSourceBuilder(connectionString);
            var validated = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            Bound(history.ConnectionStringBuilder, validated, validated.HistoryPoolSize, "kavach-stream-history");
            history.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return new HistoryDataSource(history.Build());
        });
        builder.Services.AddSingleton(sp =>
        {
            var revocations = new NpgsqlDataSourceBuilder(connectionString);
            Bound(revocations.ConnectionStringBuilder, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value, RevocationDataSource.PoolSize,
                "kavach-stream-revocations");
            revocations.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return new RevocationDataSource(revocations.Build());
        });
        builder.Services.AddSingleton(sp =>
        {
            var tree = new NpgsqlDataSourceBuilder(connectionString);
            Bound(tree.ConnectionStringBuilder, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value, TreeDataSource.PoolSize,
                TreeDataSource.ApplicationName);
            tree.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return new TreeDataSource(tree.Build());
        });

        return builder;
    }

    internal static void Bound(NpgsqlConnectionStringBuilder connection, DatabaseOptions options, int poolSize, string applicationName)
    {
        connection.MaxPoolSize = poolSize;
        connection.Timeout = Math.Max(1, (int)options.ConnectTimeout.TotalSeconds);
        connection.CommandTimeout = (int)Math.Ceiling(options.StatementTimeout.TotalSeconds) + 5;
        connection.Options = options.SessionOptions;

        // The same few statements run all the time: let Npgsql prepare them rather than have PostgreSQL parse and plan each.
        connection.MaxAutoPrepare = 32;
        connection.AutoPrepareMinUsages = 2;

        // Nothing here changes session state, so a connection going back to the pool needs no reset round trip.
        connection.NoResetOnClose = true;
        connection.ApplicationName ??= applicationName;
    }
}
