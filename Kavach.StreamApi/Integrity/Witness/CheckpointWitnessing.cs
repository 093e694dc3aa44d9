using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// Gives the witness every checkpoint this replica signed that it does not hold yet, oldest first, every
/// <c>Kavach:Integrity:PollInterval</c>: what the signer stored and could not witness (the witness was down, the
/// replica stopped in between) is retried until it is recorded. Only checkpoints that verify with this replica's own
/// key: a row someone wrote into <c>kavach_checkpoints</c> never reaches the witness.
/// </summary>
public sealed class CheckpointWitnessing(
    ICheckpointWitness witness,
    ChainStore store,
    TrustedKeys keys,
    ISchemaReady schema,
    WitnessMetrics metrics,
    IOptions<IntegrityOptions> integrity,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<CheckpointWitnessing> logger) : BackgroundService
{
    private const int Window = 256;
    private const int Remembered = 1024;

    // Positions the witness holds (recorded, found there, or contradicting it: never tried again), newest last.
    private readonly Queue<(long, long)> _order = new();
    private readonly HashSet<(long, long)> _settled = [];
    private readonly SemaphoreSlim _turn = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!witness.IsConfigured)
        {
            logger.Log(environment.IsDevelopment() ? LogLevel.Information : LogLevel.Warning,
                "No witness is configured ({Section}): checkpoints are kept only in PostgreSQL, where whoever can write to it can " +
                "delete them. Configure Blob Storage (docs/integrity.md, \"The witness\").", WitnessOptions.Section);
            return;
        }

        await schema.Ready.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(integrity.Value.PollInterval, time);
        do
        {
            try
            {
                await WitnessPendingAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && WitnessErrors.Unavailable(e))
            {
                logger.LogWarning(e, "Witnessing skipped a turn: the witness did not answer");
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                logger.LogDebug(e, "Witnessing skipped a turn: PostgreSQL did not answer");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// Witnesses, oldest first, this replica's stored checkpoints the witness does not hold yet (among the newest
    /// <see cref="Window"/>); returns how many it gave the witness. Failures are logged and counted, and retried next time.
    /// </summary>
    public async Task<int> WitnessPendingAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            var pending = await PendingAsync(cancellationToken);
            var given = 0;
            var failed = 0;
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                var checkpoint = pending[i];
                try
                {
                    await witness.AppendAsync(checkpoint, cancellationToken);
                    Settle(checkpoint);
                    given++;
                }
                catch (WitnessContradictionException)
                {
                    Settle(checkpoint); // logged and counted where found; the verifiers report it
                    failed++;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && WitnessErrors.Unavailable(e))
                {
                    logger.LogWarning(e, "Checkpoint {Epoch}:{Sequence} could not be witnessed; trying again in {Interval}",
                        checkpoint.Epoch, checkpoint.Sequence, integrity.Value.PollInterval);
                    failed += i + 1;
                    break; // oldest first: what is newer waits for it
                }
            }

            metrics.Unwitnessed(failed);
            return given;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>This replica's checkpoints newer than the newest one the witness is known to hold, newest first.</summary>
    private async Task<List<SignedCheckpoint>> PendingAsync(CancellationToken cancellationToken)
    {
        var head = await store.ReadHeadAsync(cancellationToken);
        var own = new List<SignedCheckpoint>();
        foreach (var checkpoint in await store.ReadCheckpointsAsync(head.StreamId, 0, long.MaxValue, Window, newestFirst: true, cancellationToken))
        {
            if (_settled.Contains((checkpoint.Epoch, checkpoint.Sequence)))
            {
                return own;
            }

            if (checkpoint.KeyId == keys.OwnKey.KeyId && keys.Verifies(checkpoint))
            {
                own.Add(checkpoint);
            }
        }

        // Nothing known yet (a start): the newest one the witness holds is where to begin; found by probing back
        // 1, 2, 4, … places, so a start costs a few reads of the witness, not one per checkpoint.
        for (var step = 1; step <= own.Count; step *= 2)
        {
            var probe = own[step - 1];
            if (await HoldsAsync(probe, cancellationToken))
            {
                Settle(probe);
                return own[..(step - 1)];
            }
        }

        return own;
    }

    private async Task<bool> HoldsAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken) =>
        await witness.ReadAsync(checkpoint.StreamId, checkpoint.Epoch, checkpoint.Sequence - 1, cancellationToken)
            .FirstOrDefaultAsync(cancellationToken) is { } first
        && first.Epoch == checkpoint.Epoch && first.Sequence == checkpoint.Sequence;

    private void Settle(SignedCheckpoint checkpoint)
    {
        if (!_settled.Add((checkpoint.Epoch, checkpoint.Sequence)))
        {
            return;
        }

        _order.Enqueue((checkpoint.Epoch, checkpoint.Sequence));
        if (_order.Count > Remembered)
        {
            _settled.Remove(_order.Dequeue());
        }
    }

    public override void Dispose()
    {
        _turn.Dispose();
        base.Dispose();
    }
}
