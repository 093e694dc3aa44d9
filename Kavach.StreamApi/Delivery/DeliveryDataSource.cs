using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kavach.StreamApi.Delivery;

/// <summary>
/// The delivery engine's own small pool: leases, cursors, failures, secrets and the outbox. However many destinations
/// a replica holds, the engine's statements share these connections and never take one an emit is waiting for
/// (reads of the log go through the history pool, shared across destinations by <see cref="DeliveryLog"/>).
/// </summary>
public sealed class DeliveryDataSource(NpgsqlDataSource dataSource)
{
    public const int PoolSize = 2;

    public const string ApplicationName = "kavach-stream-delivery";

    public NpgsqlDataSource DataSource { get; } = dataSource;

    public static DeliveryDataSource Create(IServiceProvider services, string? connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        EventDatabase.Bound(builder.ConnectionStringBuilder, services.GetRequiredService<IOptions<DatabaseOptions>>().Value, PoolSize, ApplicationName);
        builder.UseLoggerFactory(services.GetRequiredService<ILoggerFactory>());
        return new DeliveryDataSource(builder.Build());
    }
}
