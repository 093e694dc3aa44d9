using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// Reads the witness and the stored checkpoints of a range and reports where they disagree (<see cref="WitnessFindings"/>):
/// what <c>GET /api/kavach/events/verify</c> adds to its report.
/// </summary>
public sealed class WitnessComparison(ICheckpointWitness witness, ChainStore chain, EventStore events, IOptions<WitnessOptions> options,
    TimeProvider time, ILogger<WitnessComparison> logger)
{
    /// <param name="to">Null: to the end, so that checkpoints witnessed beyond the database's head count too.</param>
    public async Task<WitnessReport> CompareAsync(long from, long? to, CancellationToken cancellationToken)
    {
        if (!witness.IsConfigured)
        {
            return WitnessReport.NotConfigured;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            var head = await chain.ReadHeadAsync(timeout.Token);
            var epochs = await events.ReadEpochsAsync(timeout.Token);
            // The witness first: a checkpoint is stored before it is witnessed, so PostgreSQL, read after, has every
            // checkpoint the witness showed — unless it was deleted there.
            var witnessed = await ReadWitnessAsync(head.StreamId, from, to ?? long.MaxValue, timeout.Token);
            var first = await witness.ReadAsync(head.StreamId, 0, 0, timeout.Token).FirstOrDefaultAsync(timeout.Token);
            var stored = await chain.ReadCheckpointsAsync(head.StreamId, from - 1, to ?? long.MaxValue, int.MaxValue, newestFirst: false, timeout.Token);
            return WitnessFindings.Compare(stored, witnessed, epochs, first?.SignedAt, time.GetUtcNow(), options.Value.GracePeriod);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && WitnessErrors.Unavailable(e))
        {
            // Reported, not thrown: the chain's verification stands on its own.
            logger.LogWarning(e, "The witness could not be compared with the stored checkpoints");
            return new WitnessReport { Error = e is OperationCanceledException
                ? $"The witness did not answer within {options.Value.Timeout} ({WitnessOptions.Section}:Timeout)."
                : $"The witness could not be read: {e.Message}" };
        }
    }

    /// <summary>
    /// The witness's records with a sequence in [<paramref name="from"/>, <paramref name="to"/>] in every epoch it holds,
    /// seeking to the range in each epoch rather than reading epochs whole.
    /// </summary>
    private async Task<List<SignedCheckpoint>> ReadWitnessAsync(Guid streamId, long from, long to, CancellationToken cancellationToken)
    {
        var records = new List<SignedCheckpoint>();
        (long Epoch, long Sequence)? seek = (0, from - 1);
        while (seek is { } position)
        {
            var (epoch, after) = position;
            seek = null;
            await foreach (var record in witness.ReadAsync(streamId, epoch, after, cancellationToken))
            {
                if (record.Sequence >= from && record.Sequence <= to)
                {
                    records.Add(record);
                }
                else
                {
                    // Past the range in this epoch: on to the next one. Before it (a later epoch, read from its start): to the range in it.
                    seek = record.Sequence > to ? (record.Epoch, long.MaxValue) : (record.Epoch, from - 1);
                    break;
                }
            }
        }

        return records;
    }
}
