using Microsoft.Extensions.DependencyInjection;
using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kavach.AppHost.Infrastructure;

/// <summary>PostgreSQL and Redis for Kavach, as managed services (publish), containers or local processes, following the plan.</summary>
internal static class KavachInfrastructure
{
    public static KavachDatabase AddKavachDatabase(this IDistributedApplicationBuilder builder, InfrastructurePlan plan, string databaseName)
    {
        if (plan.UseConnectionStrings)
        {
            // Managed PostgreSQL (infra/): its administrator is the owner; the service's connection names KavachDatabase.AppRole.
            var owner = builder.AddConnectionString($"{databaseName}-owner");
            return new KavachDatabase(owner, owner, builder.AddConnectionString(databaseName),
                builder.AddParameter($"{databaseName}-app-password", secret: true));
        }

        if (plan.UseContainers)
        {
            // The container's superuser owns the schema.
            var appPassword = builder.AddParameter($"{databaseName}-app-password",
                new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
            var server = builder.AddPostgres("postgres").WithDataVolume();
            return new KavachDatabase(server, server.AddDatabase($"{databaseName}-owner", databaseName),
                builder.AddConnectionString(databaseName,
                    KavachDatabase.ConnectionString(server.Resource.PrimaryEndpoint, KavachDatabase.AppRole, appPassword.Resource, databaseName)),
                appPassword);
        }

        return builder.AddLocalDatabase(plan, databaseName);
    }

    /// <summary>
    /// The machine's own PostgreSQL, its data and passwords kept between runs: the superuser's (the operator's), the
    /// owner's (kavach_owner: the database and schema, and the migrate step) and the service role's.
    /// </summary>
    private static KavachDatabase AddLocalDatabase(this IDistributedApplicationBuilder builder, InfrastructurePlan plan, string databaseName)
    {
        var root = PostgresDataDirectory.Resolve(builder.Configuration);
        var postgres = new LocalPostgresResource("postgres", ScriptDirectory(builder), databaseName,
            PostgresDataDirectory.ReadOrCreatePassword(root, PostgresDataDirectory.SuperuserPasswordFile));
        var ownerPassword = builder.AddParameter($"{databaseName}-owner-password",
            PostgresDataDirectory.ReadOrCreatePassword(root, PostgresDataDirectory.OwnerPasswordFile), secret: true);
        var appPassword = builder.AddParameter($"{databaseName}-app-password",
            PostgresDataDirectory.ReadOrCreatePassword(root, PostgresDataDirectory.AppPasswordFile), secret: true);

        var server = builder.AddResource(postgres)
            .WithArgs("run-postgres.sh")
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp", env: "PGPORT")
            .WithEnvironment("KAVACH_PG_BIN", plan.PostgresBinDirectory)
            .WithEnvironment("KAVACH_PG_DATA", PostgresDataDirectory.PgData(root))
            .WithEnvironment("KAVACH_PG_DATABASE", databaseName)
            .WithEnvironment("KAVACH_PG_PASSWORD", postgres.Password)
            .WithEnvironment("KAVACH_PG_OWNER", KavachDatabase.OwnerRole)
            .WithEnvironment("KAVACH_PG_OWNER_PASSWORD", ownerPassword)
            .WithConnectionStringHealthCheck((services, connectionString) =>
                services.AddHealthChecks().AddNpgSql(connectionString, name: "postgres_check"), "postgres_check");

        return new KavachDatabase(server,
            builder.AddConnectionString($"{databaseName}-owner",
                KavachDatabase.ConnectionString(postgres.Endpoint, KavachDatabase.OwnerRole, ownerPassword.Resource, databaseName)),
            builder.AddConnectionString(databaseName,
                KavachDatabase.ConnectionString(postgres.Endpoint, KavachDatabase.AppRole, appPassword.Resource, databaseName)),
            appPassword);
    }

    /// <summary>Redis for cross-replica fan-out, or null when it can be had neither way.</summary>
    public static IResourceBuilder<IResourceWithConnectionString>? AddKavachRedis(
        this IDistributedApplicationBuilder builder, InfrastructurePlan plan)
    {
        if (plan.UseConnectionStrings)
        {
            return builder.AddConnectionString("redis");
        }

        if (plan.UseContainers)
        {
            return builder.AddRedis("redis").WithDataVolume();
        }

        if (plan.RedisServerPath is null)
        {
            return null;
        }

        var redis = new LocalRedisResource("redis", ScriptDirectory(builder),
            Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());

        return builder.AddResource(redis)
            .WithArgs("run-redis.sh")
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp", env: "REDIS_PORT")
            .WithEnvironment("KAVACH_REDIS_BIN", plan.RedisServerPath)
            .WithEnvironment("KAVACH_REDIS_PASSWORD", redis.Password)
            .WithConnectionStringHealthCheck((services, connectionString) =>
                services.AddHealthChecks().AddRedis(connectionString, name: "redis_check"), "redis_check");
    }

    /// <summary>
    /// Azurite as the checkpoint witness in run mode (its connection string is <c>ConnectionStrings:witness</c>), or null:
    /// in publish mode (infra/ provisions Blob Storage) and when Azurite is not installed.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString>? AddKavachWitness(
        this IDistributedApplicationBuilder builder, InfrastructurePlan plan, string witnessDirectory)
    {
        if (plan.UseConnectionStrings || plan.AzuriteBlobPath is null)
        {
            return null;
        }

        var azurite = new LocalAzuriteResource("witness", ScriptDirectory(builder), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        return builder.AddResource(azurite)
            .WithArgs("run-azurite.sh")
            .WithEndpoint(name: LocalAzuriteResource.EndpointName, scheme: "http", env: "AZURITE_PORT")
            .WithEnvironment("KAVACH_AZURITE_BIN", plan.AzuriteBlobPath)
            .WithEnvironment("KAVACH_AZURITE_DATA", WitnessDataDirectory.Azurite(witnessDirectory))
            .WithEnvironment("AZURITE_ACCOUNTS", $"{LocalAzuriteResource.AccountName}:{azurite.AccountKey}")
            .WithConnectionStringHealthCheck((services, connectionString) => services.AddHealthChecks().Add(new HealthCheckRegistration(
                "witness_check", sp => new AzuriteHealthCheck(() => connectionString(sp)), failureStatus: null, tags: null)), "witness_check");
    }

    /// <summary>
    /// Registers a health check that connects with the resource's own connection string, so that WaitFor waits
    /// for a server that answers, not just a started process. Aspire runs resource health checks only once the
    /// resource is running, when its endpoint (and so its connection string) is allocated.
    /// </summary>
    private static IResourceBuilder<IResourceWithConnectionString> WithConnectionStringHealthCheck<T>(
        this IResourceBuilder<T> resource,
        Action<IServiceCollection, Func<IServiceProvider, string>> register,
        string key)
        where T : class, IResourceWithConnectionString
    {
        register(resource.ApplicationBuilder.Services, _ =>
            resource.Resource.ConnectionStringExpression.GetValueAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult()
            ?? throw new InvalidOperationException($"'{resource.Resource.Name}' has no connection string yet."));

        return resource.WithHealthCheck(key);
    }

    private static string ScriptDirectory(IDistributedApplicationBuilder builder) =>
        Path.Combine(builder.AppHostDirectory, "scripts");
}
