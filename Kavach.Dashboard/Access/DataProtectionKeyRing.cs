using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using StackExchange.Redis;

namespace Kavach.Dashboard.Access;

/// <summary>
/// Where the keys that protect sign-in and antiforgery cookies live. In a container the default (a directory inside
/// it) dies with each restart or new revision, signing everyone out. With a <c>redis</c> connection string the key ring
/// is kept in Redis under <see cref="RedisKey"/>, so a restarted or redeployed console still reads the cookies it issued.
/// </summary>
public static class DataProtectionKeyRing
{
    public const string ApplicationName = "kavach-console";
    public const string RedisKey = "kavach:console:data-protection-keys";
    public const string ConnectionName = "redis";

    public static IHostApplicationBuilder AddPersistentDataProtection(this IHostApplicationBuilder builder)
    {
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName(ApplicationName);
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionName)))
        {
            return builder;
        }

        // The console stays up when Redis is not (the key ring is cached in memory); its health does not hinge on it.
        builder.AddRedisClient(ConnectionName,
            settings => settings.DisableHealthChecks = true,
            redis => redis.AbortOnConnectFail = false);
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IConnectionMultiplexer>((keys, redis) =>
                keys.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), RedisKey));
        return builder;
    }

    /// <summary>Says so at start-up when sign-ins will not survive a restart.</summary>
    public static WebApplication WarnWhenKeysDieWithTheProcess(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment() && string.IsNullOrWhiteSpace(app.Configuration.GetConnectionString(ConnectionName)))
        {
            app.Logger.LogWarning(
                "No 'redis' connection string: the Data Protection keys that protect sign-in cookies are kept in this " +
                "container only, so a restart or a new revision signs everyone out. Give the console ConnectionStrings__redis.");
        }

        return app;
    }
}
