using System.Diagnostics.Metrics;
using Kavach.StreamApi.Diagnostics;

namespace Kavach.StreamApi.Integrity;

/// <summary>The tamper-evident log's instruments (meter <c>Kavach.StreamApi</c>).</summary>
public sealed class IntegrityMetrics
{
    private readonly Counter<long> _signed;
    private readonly Counter<long> _refused;

    public IntegrityMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(StreamMetrics.MeterName);
        _signed = meter.CreateCounter<long>("kavach.integrity.checkpoints.signed", "{checkpoint}",
            "Checkpoints this replica signed and stored.");
        _refused = meter.CreateCounter<long>("kavach.integrity.signer.refusals", "{refusal}",
            "Times this replica's signer began refusing: the stored chain differs from the one it delivered or trusts.");
    }

    public void CheckpointSigned() => _signed.Add(1);

    public void SignerRefused() => _refused.Add(1);
}
