namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>No witness configured: checkpoints live in PostgreSQL only, and the verifiers say so.</summary>
public sealed class NoWitness : ICheckpointWitness
{
    public bool IsConfigured => false;

    public Task AppendAsync(Checkpoint checkpoint, CancellationToken cancellationToken) => Task.CompletedTask;

    public IAsyncEnumerable<Checkpoint> ReadAsync(Guid streamId, long afterEpoch, long afterSequence, CancellationToken cancellationToken) =>
        AsyncEnumerable.Empty<Checkpoint>();
}
