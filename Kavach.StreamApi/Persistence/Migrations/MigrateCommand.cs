using System.Runtime.InteropServices;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kavach.StreamApi.Persistence.Migrations;

/// <summary>
/// <c>Kavach.StreamApi migrate</c>: the same build, run once before the replicas with the owner's connection
/// (<c>ConnectionStrings:kavachdb</c> here is the owner's), migrates the schema and grants the service's own role what it
/// needs (<see cref="AppRoleGrants"/>), then exits: 0 when done, 1 when it failed, 2 for a bad setting. Transient
/// failures (PostgreSQL not up yet, a lock held by serving replicas) are retried with backoff for up to two minutes.
/// </summary>
public static class MigrateCommand
{
    public const string Name = "migrate";
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations();
        builder.Services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.Section).ValidateDataAnnotations();
        var connectionString = builder.Configuration.GetConnectionString(EventDatabase.ConnectionName);
        builder.Services.AddSingleton(sp =>
        {
            var owner = new NpgsqlDataSourceBuilder(connectionString);
            EventDatabase.Bound(owner.ConnectionStringBuilder, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value, poolSize: 2, "kavach-migrate");
            owner.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return owner.Build();
        });
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddSingleton<AppRoleGrants>();
        builder.Services.AddSingleton<SearchIndex>();
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MigrateCommand));

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            logger.LogCritical("ConnectionStrings:{Name} is required: the migrate step connects with the owner's connection string", EventDatabase.ConnectionName);
            return 2;
        }

        try
        {
            _ = host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            logger.LogCritical("{Failures}", string.Join(" ", e.Failures));
            return 2;
        }

        using var stop = new CancellationTokenSource(Budget);
        using var signalled = new CancellationTokenSource();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; stop.Cancel(); signalled.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; stop.Cancel(); signalled.Cancel(); });
        var migrated = await MigrateAsync(host.Services, logger, stop.Token);
        if (migrated == 0)
        {
            await BuildSearchIndexAsync(host.Services, logger, signalled.Token);
        }

        return migrated;
    }

    /// <summary>
    /// The search index a migration left to be built concurrently (a large table): outside the two-minute budget, since
    /// its length grows with the table, and it blocks no emit or read meanwhile. Stopped by a signal only. A failure does
    /// not fail the step: the schema is current and searches work without the index, only slower.
    /// </summary>
    private static async Task BuildSearchIndexAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await services.GetRequiredService<SearchIndex>().EnsureAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException || DatabaseFailures.IsFailure(e))
        {
            logger.LogError(e, "The search index could not be built; the next migrate step (or an owner replica) builds it again");
        }
    }

    private static async Task<int> MigrateAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                if (!await services.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken))
                {
                    logger.LogCritical("The role of ConnectionStrings:{Name} may not migrate the schema: give the migrate step the owner's connection",
                        EventDatabase.ConnectionName);
                    return 1;
                }

                await services.GetRequiredService<AppRoleGrants>().ApplyAsync(cancellationToken);
                return 0;
            }
            catch (InvalidOperationException e)
            {
                logger.LogCritical("{Reason}", e.Message);
                return 1;
            }
            catch (PostgresException e) when (!DatabaseFailures.IsUnavailable(e))
            {
                logger.LogCritical(e, "The migrate step failed");
                return 1;
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "The migrate step could not finish; retrying in {Delay}", delay);
            }
            catch (Exception e) when (e is OperationCanceledException || DatabaseFailures.IsFailure(e))
            {
                break;
            }

            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }

        logger.LogCritical("The migrate step gave up: it could not finish within {Budget}, or it was stopped", Budget);
        return 1;
    }
}
