using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi;

public static class StreamApiServices
{
    public static IHostApplicationBuilder AddStreamApiServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("kavachdb");

        // Redis carries fan-out between replicas; a lone replica runs without it.
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("redis")))
        {
            builder.AddRedisClient("redis");
        }

        builder.Services.AddSingleton<EventSchema>();
        builder.Services.AddSingleton<SchemaInitializer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SchemaInitializer>());
        builder.Services.AddHealthChecks().AddCheck<SchemaInitializer>("schema");

        return builder;
    }
}
