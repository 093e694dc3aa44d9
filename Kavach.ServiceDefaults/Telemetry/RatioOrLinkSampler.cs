using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Kavach.ServiceDefaults.Telemetry;

/// <summary>
/// Parent-based sampling whose "no" still records new traces, so that <see cref="ErrorOrSlowSpanPromoter"/> can export
/// the ones that fail or are slow. A span with a sampled parent is sampled. A new trace is sampled by its trace id's
/// ratio, or when it links to a sampled span — the group commit links to the emits it answers, so each exported emit
/// keeps its commit. Any other new trace, and a span whose remote caller did not sample, is recorded only: its tags are
/// kept until it ends, and it is not exported unless promoted. A span under an unsampled local parent is dropped, which
/// keeps the cost of an unsampled request to its one span.
/// </summary>
public sealed class RatioOrLinkSampler(double ratio) : Sampler
{
    private static readonly SamplingResult Sample = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult RecordOnly = new(SamplingDecision.RecordOnly);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    private readonly TraceIdRatioBasedSampler _ratio = new(ratio);

    public override SamplingResult ShouldSample(in SamplingParameters parameters)
    {
        var parent = parameters.ParentContext;
        if (parent.TraceId != default)
        {
            return Sampled(parent) ? Sample : parent.IsRemote ? RecordOnly : Drop;
        }

        if (_ratio.ShouldSample(parameters).Decision == SamplingDecision.RecordAndSample)
        {
            return Sample;
        }

        if (parameters.Links is { } links)
        {
            foreach (var link in links)
            {
                if (Sampled(link.Context))
                {
                    return Sample;
                }
            }
        }

        return RecordOnly;
    }

    private static bool Sampled(ActivityContext context) => (context.TraceFlags & ActivityTraceFlags.Recorded) != 0;
}
