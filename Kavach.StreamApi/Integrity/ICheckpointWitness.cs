namespace Kavach.StreamApi.Integrity;

/// <summary>
/// An append-only record of every checkpoint outside PostgreSQL, which a database writer cannot change: Azure Blob
/// Storage with a version-level immutability policy in Azure, Azurite locally and in tests, an append-only file as the
/// fallback (docs/integrity.md, "The witness").
/// </summary>
public interface ICheckpointWitness
{
    /// <summary>Whether a witness is configured at all (the verifiers say so when it is not).</summary>
    bool IsConfigured { get; }

    /// <summary>Records a checkpoint; recording one already there is a no-op, and one that contradicts it an error.</summary>
    Task AppendAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>The checkpoints recorded for the stream, in (epoch, sequence) order, after the given position.</summary>
    IAsyncEnumerable<SignedCheckpoint> ReadAsync(Guid streamId, long afterEpoch, long afterSequence, CancellationToken cancellationToken);
}
