using Azure.Monitor.OpenTelemetry.AspNetCore;
using Kavach.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Kavach.ServiceDefaults;

/// <summary>
/// What every Kavach service shares: OpenTelemetry over OTLP (and to Azure Monitor when deployed), health endpoints, service discovery and
/// resilient HttpClients.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";

    /// <summary>Application Insights' connection string, as Azure Monitor's OpenTelemetry distro reads it.</summary>
    public const string AzureMonitorConnectionStringKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>Meters registered by the services themselves; they are exported beside the built-in ones.</summary>
    public static readonly List<string> ServiceMeters = [];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, params string[] meters)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry(meters);
        builder.AddDefaultHealthChecks();
        builder.AddIngressForwardedHeaders();
        builder.AddGracefulShutdown();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder, params string[] meters)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var sampling = TraceSampling.From(builder.Configuration, builder.Environment);
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(meters))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddAspNetCoreInstrumentation(aspnet =>
                {
                    // Health probes would drown the traces that matter.
                    aspnet.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath);

                    // Aspire turns the instrumentation's own query redaction off in development; tokens must
                    // still never reach a trace.
                    aspnet.EnrichWithHttpRequest = (activity, request) =>
                    {
                        if (SensitiveQuery.Contains(request.QueryString))
                        {
                            activity.SetTag("url.query", SensitiveQuery.Redact(request.QueryString));
                        }
                    };
                })
                .AddHttpClientInstrumentation()
                // Ahead of the exporters added below: they export only the spans marked sampled when they end.
                .AddProcessor(new ErrorOrSlowSpanPromoter(sampling.SlowSpan)));

        // With OTEL_TRACES_SAMPLER set, the SDK builds that sampler itself (it ignores the variable once one is set here).
        if (!TraceSampling.StandardSamplerSet(builder.Configuration))
        {
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.SetSampler(new RatioOrLinkSampler(sampling.Ratio)));
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        // Deployed to Azure: the same traces and meters (the Kavach ones included) also go to Application Insights.
        // Empty counts as unset, so a rehearsal can carry the key without exporting anywhere. The distro sets its own
        // (rate-limited) sampler, which replaces the one above for both exporters.
        if (!string.IsNullOrWhiteSpace(builder.Configuration[AzureMonitorConnectionStringKey]))
        {
            builder.Services.AddOpenTelemetry().UseAzureMonitor();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready: every registered check, including PostgreSQL and Redis) and <c>/alive</c>
    /// (liveness: the process answers). Both are mapped in every environment because container platforms
    /// (Azure Container Apps) probe them in production; they reveal only health status names.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions
        {
            ResponseWriter = HealthReportWriter.WriteAsync,
        }).DisableHttpMetrics();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
        }).DisableHttpMetrics();
        return app;
    }
}
