namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>No witness configured: checkpoints live only in PostgreSQL, and the verifiers say so.</summary>
public sealed class NoCheckpointWitness : ICheckpointWitness
{
    public bool IsConfigured => false;

    public Task AppendAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken) => Task.CompletedTask;

    public IAsyncEnumerable<SignedCheckpoint> ReadAsync(Guid streamId, long afterEpoch, long afterSequence, CancellationToken cancellationToken) =>
        AsyncEnumerable.Empty<SignedCheckpoint>();
}
