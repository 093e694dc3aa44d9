using System.Diagnostics.Metrics;
using Kavach.StreamApi.Diagnostics;

namespace Kavach.StreamApi.Integrity.Merkle;

/// <summary>The tree's instruments, on the stream's meter (<see cref="StreamMetrics.MeterName"/>).</summary>
public sealed class TreeMetrics
{
    private readonly Counter<long> _written;
    private readonly Counter<long> _contradictions;

    public TreeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(StreamMetrics.MeterName);
        _written = meter.CreateCounter<long>("kavach.tree.blocks.written", "{block}",
            "Merkle tree blocks this replica wrote (or found stored already, with the same hashes).");
        _contradictions = meter.CreateCounter<long>("kavach.tree.contradictions", "{contradiction}",
            "The stored Merkle tree disagrees with the events this replica delivered, by kind (block: a stored block has other hashes; " +
            "signed_head: the stored tree does not reproduce a signed tree head; missing_events: events the tree needs are gone). " +
            "An alarm: tampering, or an epoch change not noticed yet.");
    }

    public void Written(int blocks) => _written.Add(blocks);

    public void Contradiction(string kind) => _contradictions.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
