using Kavach.StreamApi.Persistence.Migrations;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using StackExchange.Redis;

namespace Kavach.StreamApi;

/// <summary>
/// What <c>/health</c> (readiness) means for this replica: it can serve when PostgreSQL answers, the schema exists,
/// the hub is delivering and revocations are current. Redis only carries hints and connection counts, so a Redis outage is Degraded (still
/// ready: events keep flowing through the hub's checks of PostgreSQL), never Unhealthy. Every check is bounded, so
/// the endpoint answers within a couple of seconds whatever is down.
/// </summary>
public static class ReadinessChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public static IHostApplicationBuilder AddReadinessChecks(this IHostApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks()
            .AddCheck<PostgresCheck>("postgres", HealthStatus.Unhealthy, [], Timeout)
            .AddCheck<SchemaInitializer>("schema", HealthStatus.Unhealthy, [], Timeout)
            .AddCheck<HubHealthCheck>("hub", HealthStatus.Unhealthy, [], Timeout)
            // Without current revocations every token is refused: nothing could be served.
            .AddCheck<Auth.Revocations>("revocations", HealthStatus.Unhealthy, [], Timeout);
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("redis")))
        {
            checks.AddCheck<RedisCheck>("redis", HealthStatus.Degraded, [], Timeout);
        }

        return builder;
    }

    private sealed class PostgresCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL does not answer.", e);
            }
        }
    }

    private sealed class RedisCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!redis.IsConnected)
            {
                return new HealthCheckResult(context.Registration.FailureStatus,
                    "Redis is not connected: events still reach this replica through PostgreSQL, within the check interval.");
            }

            try
            {
                await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "Redis does not answer.", e);
            }
        }
    }
}
