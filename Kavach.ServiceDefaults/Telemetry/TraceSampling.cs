using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Kavach.ServiceDefaults.Telemetry;

/// <summary>
/// Which traces are exported. Exporting every request's trace cost a quarter of the emit throughput (W5 with an OTLP
/// exporter), so outside Development only a ratio of new traces is exported (<c>Kavach:Telemetry:TraceSampleRatio</c>,
/// default 5 %; Development 100 %, so the Aspire dashboard shows every local request), plus every span that failed or
/// took at least <c>Kavach:Telemetry:SlowSpan</c> (default 1 s). Metrics are not sampled. The standard
/// <c>OTEL_TRACES_SAMPLER</c>, when set, replaces all of this with the OpenTelemetry SDK's own sampler.
/// </summary>
public sealed record TraceSampling(double Ratio, TimeSpan SlowSpan)
{
    public const string RatioKey = "Kavach:Telemetry:TraceSampleRatio";
    public const string SlowSpanKey = "Kavach:Telemetry:SlowSpan";

    /// <summary>The OpenTelemetry SDK reads it (with <c>OTEL_TRACES_SAMPLER_ARG</c>) itself when no sampler is set in code.</summary>
    public const string StandardSamplerKey = "OTEL_TRACES_SAMPLER";

    public const double DefaultRatio = 0.05;
    public const double DevelopmentRatio = 1.0;
    public static readonly TimeSpan DefaultSlowSpan = TimeSpan.FromSeconds(1);

    /// <summary>The settings, or an exception naming the key when one is out of range.</summary>
    public static TraceSampling From(IConfiguration configuration, IHostEnvironment environment)
    {
        var ratio = configuration.GetValue<double?>(RatioKey) ?? (environment.IsDevelopment() ? DevelopmentRatio : DefaultRatio);
        if (!(ratio is >= 0 and <= 1))
        {
            throw new InvalidOperationException($"{RatioKey} must be between 0 and 1 (it is {ratio}).");
        }

        var slow = configuration.GetValue<TimeSpan?>(SlowSpanKey) ?? DefaultSlowSpan;
        if (slow <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{SlowSpanKey} must be positive (it is {slow}).");
        }

        return new TraceSampling(ratio, slow);
    }

    /// <summary>Whether the standard variable chooses the sampler instead (empty counts as unset).</summary>
    public static bool StandardSamplerSet(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[StandardSamplerKey]);
}
