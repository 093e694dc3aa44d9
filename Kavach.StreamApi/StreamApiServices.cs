using Kavach.ServiceDefaults.Auth;
using Kavach.StreamApi.Auth;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Events;
using Kavach.StreamApi.FanOut;
using Kavach.StreamApi.Integrity;
using Kavach.StreamApi.Integrity.Merkle;
using Kavach.StreamApi.Integrity.Witness;
using Kavach.StreamApi.Limits;
using Kavach.StreamApi.Module;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Persistence.Migrations;
using Kavach.StreamApi.Ssf;
using Kavach.StreamApi.Streaming;
using Kavach.StreamApi.Streaming.Presence;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Kavach.StreamApi;

public static class StreamApiServices
{
    public static IHostApplicationBuilder AddStreamApiServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.Section).ValidateDataAnnotations()
            .Validate<IHostEnvironment>((stream, environment) => stream.RequireAuth || stream.AllowAnyoneToReadAndEmit || environment.IsDevelopment(),
                $"{StreamOptions.Section}:RequireAuth=false is refused outside Development: anyone who can reach this service would read " +
                $"every event and emit any. Configure {AuthOptions.Section}:SigningKey or Authority and keep RequireAuth on; to run " +
                $"without tokens anyway, set {StreamOptions.Section}:{nameof(StreamOptions.AllowAnyoneToReadAndEmit)}=true.")
            .ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .PostConfigure<IOptions<StreamOptions>>((auth, stream) => auth.Required = stream.Value.RequireAuth)
            .ValidateDataAnnotations().ValidateOnStart();

        builder.AddEventDatabase();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<StreamMetrics>();
        services.AddSingleton(sp => EventTypeFilter.ForModule(sp.GetRequiredService<IOptions<StreamOptions>>().Value.EventTypes));

        // emit → persist → fan-out → stream
        services.AddSingleton<EventValidator>();
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<SearchIndex>();
        services.AddSingleton<ConnectionBudget>();
        services.AddSingleton<DatabaseRoleReport>();
        services.AddSingleton<SchemaInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<SchemaInitializer>());
        services.AddSingleton<ISchemaReady>(sp => sp.GetRequiredService<SchemaInitializer>());
        services.AddSingleton<EventStore>();
        services.AddSingleton<IStreamHistory>(sp => sp.GetRequiredService<EventStore>());
        services.AddSingleton<ICommitStore>(sp => sp.GetRequiredService<EventStore>());
        services.AddSingleton<ICommittedStream>(sp => sp.GetRequiredService<EventStore>());
        services.AddSingleton<EventCommitter>();
        services.AddHostedService(sp => sp.GetRequiredService<EventCommitter>());
        services.AddSingleton<RetentionStore>();
        services.AddHostedService<RetentionPruner>();
        services.AddSingleton<EventHub>();
        services.AddHostedService(sp => sp.GetRequiredService<EventHub>());
        services.AddSingleton<ILiveEvents>(sp => sp.GetRequiredService<EventHub>());
        services.AddSingleton<StreamAdmission>();
        services.AddSingleton<OpenStreams>();
        services.AddHostedService(sp => sp.GetRequiredService<OpenStreams>());
        services.AddSingleton<CatchUpGate>();
        services.AddSingleton<CursorRules>();
        services.AddSingleton<StreamSession>();
        builder.AddFanOut();
        services.AddSingleton<ICommitObserver, CommitFanOut>();
        services.AddSingleton<EventStreamModule>();

        // the hash chain's checkpoints and verification
        services.AddOptions<IntegrityOptions>().BindConfiguration(IntegrityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<IntegrityOptions>, IntegrityKeysValidation>();
        services.AddSingleton<ChainStore>();
        services.AddSingleton(sp => CheckpointKey.Create(sp.GetRequiredService<IOptions<IntegrityOptions>>().Value.CheckpointKey));
        services.AddSingleton<TrustedKeys>();
        services.AddSingleton<IntegrityMetrics>();
        services.AddSingleton<DeliveredChain>();
        services.AddSingleton<IDeliveryObserver>(sp => sp.GetRequiredService<DeliveredChain>());
        services.AddSingleton<IDeliveryObserver, RevocationEventFollower>();
        services.AddSingleton<ChainAnchor>();
        services.AddSingleton<IRetentionBoundary, CheckpointedRetention>();
        services.AddSingleton<CheckpointService>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointService>());
        services.AddSingleton<ChainVerifier>();
        services.AddMerkleTree(); // the Merkle tree: the hub's deliveries in, tree heads and proofs out
        builder.AddCheckpointWitness();

        // push delivery: webhooks and SSF streams, each with its own cursor over the log (docs/webhooks.md, docs/ssf.md)
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Delivery.DestinationStore>();
        services.AddSingleton(sp => Delivery.DeliveryDataSource.Create(sp, builder.Configuration.GetConnectionString(EventDatabase.ConnectionName)));
        services.AddSingleton<IValidateOptions<DeliveryOptions>, Delivery.DeliveryOptionsValidation>();
        services.AddSingleton(sp => new Delivery.TargetPolicy(sp.GetRequiredService<IOptions<DeliveryOptions>>().Value, sp.GetRequiredService<IHostEnvironment>()));
        services.AddSingleton<Delivery.DeliveryHttp>();
        services.AddSingleton<Delivery.DeliveryMetrics>();
        services.AddSingleton<Delivery.DeliveryLeases>();
        services.AddSingleton<Delivery.DeliveryLog>();
        services.AddSingleton<Delivery.WebhookSigningKeys>();
        services.AddSingleton<Delivery.WebhookChannel>();
        services.AddSingleton<Delivery.IPushChannel>(sp => sp.GetRequiredService<Delivery.WebhookChannel>());
        services.AddSingleton<Delivery.DeliveryEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<Delivery.DeliveryEngine>());
        services.AddSingleton<Delivery.WebhookSecrets>();
        services.AddSingleton<Delivery.DestinationViews>();
        services.AddSingleton<Apis.WebhookRequestChecks>();
        services.AddSsfTransmitter(); // the OpenID Shared Signals transmitter: SSF streams are destinations too (docs/ssf.md)

        // alerts the console raises and people acknowledge, shared by every console instance (docs/console.md, "Alerts")
        services.AddSingleton<Alerts.AlertStore>();

        builder.AddReadinessChecks();
        builder.AddRequestLimits();

        builder.AddTokenValidation();
        builder.AddBrowserOrigins();
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.MaxDepth = StreamEvent.MaxStoredDepth + 8;
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        });
        services.AddExceptionHandler<Apis.ClientInputExceptionHandler>();
        services.AddExceptionHandler<Apis.DatabaseUnavailableHandler>();
        // A query value that does not bind throws, so the exception handler can say which one (not a bare 400).
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddOpenApi();

        // The hosting layer logs each request's URL before any middleware can strip a query-string token.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        return builder;
    }

    /// <summary>Redis commit hints and connection presence when a connection string is configured; otherwise this replica works alone.</summary>
    private static void AddFanOut(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("redis")))
        {
            builder.Services.AddSingleton<IEventBroker, InProcessEventBroker>();
            builder.Services.AddSingleton<IConnectionPresence, LocalConnectionPresence>();
            return;
        }

        builder.AddRedisClient("redis",
            settings => settings.DisableHealthChecks = true,
            redis => redis.AbortOnConnectFail = false);
        builder.Services.AddSingleton<RedisEventBroker>();
        builder.Services.AddSingleton<IEventBroker>(sp => sp.GetRequiredService<RedisEventBroker>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisEventBroker>());
        builder.Services.AddSingleton<RedisConnectionPresence>();
        builder.Services.AddSingleton<IConnectionPresence>(sp => sp.GetRequiredService<RedisConnectionPresence>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisConnectionPresence>());
    }

    /// <summary>CORS for browsers on other origins (a SOC page using EventSource with <c>?token=</c>).</summary>
    private static void AddBrowserOrigins(this IHostApplicationBuilder builder)
    {
        var origins = builder.Configuration.GetSection($"{StreamOptions.Section}:{nameof(StreamOptions.AllowedOrigins)}").Get<string[]>() ?? [];
        if (origins.Length == 0 && builder.Environment.IsDevelopment())
        {
            origins = ["*"];
        }

        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(origins);
            }

            policy.WithMethods("GET", "POST").WithHeaders("Authorization", "Content-Type", "Last-Event-ID", "Accept");
        }));
    }

    private static void AddTokenValidation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RevocationStore>();
        builder.Services.AddSingleton<Revocations>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Revocations>());
        builder.Services.AddSingleton<IRevocationList>(sp => sp.GetRequiredService<Revocations>());
        builder.Services.AddSingleton<TokenStanding>();

        // The JWT scheme must not become the default just because it is the only one: the authentication middleware
        // would then validate every request's token again (and keep a principal per open stream). Each endpoint checks
        // its token itself, once, through the validator and its cache.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);

        builder.Services.AddSingleton<ITokenValidator, JwtTokenValidator>();
        builder.Services.AddSingleton<AccessCheck>();
        builder.Services.AddAuthentication().AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, authOptions) =>
            {
                var auth = authOptions.Value;
                jwt.MapInboundClaims = false;
                jwt.Events = new JwtBearerEvents { OnTokenValidated = JwtTokenValidator.KeepValidatedToken };
                var ownKey = string.IsNullOrEmpty(auth.Authority);
                if (!ownKey)
                {
                    jwt.Authority = auth.Authority;
                }

                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    // Always: the API's own issuer, the configured one, or (with an authority and none configured) the
                    // authority's, which the handler takes from its metadata.
                    ValidateIssuer = true,
                    ValidIssuer = ownKey ? auth.OwnIssuer : auth.Issuer,
                    ValidateAudience = !string.IsNullOrEmpty(auth.Audience),
                    ValidAudience = auth.Audience,
                    ValidateLifetime = true,
                    RequireExpirationTime = true,
                    ClockSkew = auth.ClockSkew,
                    NameClaimType = Kavach.Contracts.KavachClaims.Subject,
                    IssuerSigningKey = string.IsNullOrEmpty(auth.SigningKey) ? null : KavachTokens.SigningKey(auth.SigningKey),
                };
            });
    }

    /// <summary>On SIGTERM: refuse new streams and end the open ones cleanly so their clients reconnect elsewhere.</summary>
    public static WebApplication CloseStreamsOnShutdown(this WebApplication app)
    {
        var module = app.Services.GetRequiredService<EventStreamModule>();
        app.Lifetime.ApplicationStopping.Register(module.Close);
        return app;
    }

    public static WebApplication WarnWhenAuthIsOff(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<StreamOptions>>().Value.RequireAuth)
        {
            app.Logger.LogWarning(
                "AUTH IS OFF ({Setting}=false): anyone who can reach this service can read the stream and emit events " +
                "(the revocation API still needs an admin token). Never run like this in production.", $"{StreamOptions.Section}:RequireAuth");
        }

        return app;
    }
}
