using Kavach.StreamApi.Integrity.Witness;
using Kavach.StreamApi.Persistence;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// Retention removes events only up to a checkpoint: the newest one signed before the cutoff with a trusted key, about
/// the current history, and recorded by the witness when there is one. The anchor it leaves is then that checkpoint's
/// hash, which a verifier can check against the signature, and a prefix deleted any other way shows.
/// </summary>
public sealed class CheckpointedRetention(ChainStore store, TrustedKeys keys, ICheckpointWitness witness) : IRetentionBoundary
{
    public async Task<long> UpToAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var head = await store.ReadHeadAsync(cancellationToken);
        var epochs = await store.ReadEpochsAsync(cancellationToken);
        try
        {
            foreach (var checkpoint in await store.ReadSignedBeforeAsync(head.StreamId, cutoff, 20, cancellationToken))
            {
                if (keys.Verifies(checkpoint) && checkpoint.IsCurrentIn(epochs) && await WitnessedAsync(checkpoint, cancellationToken))
                {
                    return checkpoint.Sequence;
                }
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && WitnessErrors.Unavailable(e))
        {
            // Whether a checkpoint was witnessed cannot be told: prune nothing this sweep.
        }

        return 0;
    }

    private async Task<bool> WitnessedAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        if (!witness.IsConfigured)
        {
            return true;
        }

        await foreach (var witnessed in witness.ReadAsync(checkpoint.StreamId, checkpoint.Epoch, checkpoint.Sequence - 1, cancellationToken))
        {
            return witnessed.Epoch == checkpoint.Epoch && witnessed.Sequence == checkpoint.Sequence
                && witnessed.Payload().AsSpan().SequenceEqual(checkpoint.Payload()) && witnessed.Signature.AsSpan().SequenceEqual(checkpoint.Signature);
        }

        return false;
    }
}
