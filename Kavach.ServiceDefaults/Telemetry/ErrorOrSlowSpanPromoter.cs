using System.Diagnostics;
using OpenTelemetry;

namespace Kavach.ServiceDefaults.Telemetry;

/// <summary>
/// Marks a recorded-but-unsampled span as sampled when it ends in error (status Error, or an HTTP status of 500 or
/// more) or lasted at least <paramref name="slowSpan"/>, so the export processors, which export exactly the spans
/// marked sampled when they end, export it too. It must come before them in the pipeline: it is added with the
/// tracing setup, ahead of the OTLP and Azure Monitor exporters.
/// </summary>
public sealed class ErrorOrSlowSpanPromoter(TimeSpan slowSpan) : BaseProcessor<Activity>
{
    private const string ResponseStatusTag = "http.response.status_code";

    public override void OnEnd(Activity data)
    {
        if (!data.Recorded && (data.Duration >= slowSpan || Failed(data)))
        {
            data.ActivityTraceFlags |= ActivityTraceFlags.Recorded;
        }
    }

    private static bool Failed(Activity span) =>
        span.Status == ActivityStatusCode.Error || span.GetTagItem(ResponseStatusTag) is int status and >= 500;
}
