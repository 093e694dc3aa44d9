using Kavach.StreamApi.Delivery;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>How many replicas PostgreSQL's connection limit leaves room for, so an operator sees it before it bites.</summary>
public sealed class ConnectionBudget(NpgsqlDataSource dataSource, IOptions<DatabaseOptions> databaseOptions, ILogger<ConnectionBudget> logger)
{
    public async Task ReportAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int");
        var available = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        var options = databaseOptions.Value;
        var perReplica = options.MaxPoolSize + options.HistoryPoolSize + RevocationDataSource.PoolSize + TreeDataSource.PoolSize + DeliveryDataSource.PoolSize;
        var replicas = available / perReplica;
        if (replicas < 2)
        {
            logger.LogWarning(
                "PostgreSQL allows {Available} connections and each replica may open {PerReplica} (Kavach:Database:MaxPoolSize + HistoryPoolSize + 2 for revocations + 2 for the Merkle tree + 2 for push delivery): " +
                "fewer than two replicas fit. Raise max_connections or lower the pool sizes.", available, perReplica);
        }
        else
        {
            logger.LogInformation("PostgreSQL allows {Available} connections; each replica may open {PerReplica}: up to {Replicas} replicas fit",
                available, perReplica, replicas);
        }
    }
}
