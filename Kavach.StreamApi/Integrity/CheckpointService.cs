using Kavach.StreamApi.Events;
using Kavach.StreamApi.Integrity.Merkle;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Streaming;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// On every replica: signs a checkpoint of the chain when enough was committed since the last one — but only of the
/// chain it delivered itself (<see cref="DeliveredChain"/>, anchored by <see cref="ChainAnchor"/> at a checkpoint it
/// trusts), and only after the newest stored checkpoint, which becomes the new one's predecessor. Any replica may sign;
/// a checkpoint has one successor, so the first to store wins and the others follow. The witness gets it from
/// <see cref="Witness.CheckpointWitnessing"/>. The newest checkpoint that verifies with a trusted key is announced to the streams that asked.
/// </summary>
public sealed class CheckpointService(
    ChainStore store,
    ISchemaReady schema,
    OpenStreams streams,
    DeliveredChain delivered,
    ChainAnchor anchor,
    TrustedKeys keys,
    ITreeHeads tree,
    IntegrityMetrics metrics,
    IOptions<IntegrityOptions> options,
    TimeProvider time,
    ILogger<CheckpointService> logger) : BackgroundService
{
    private readonly IntegrityOptions _options = options.Value;
    private volatile SignedCheckpoint? _latest;
    private volatile SignerStatus _status = new(SignerState.Starting, null, null);

    /// <summary>The newest checkpoint whose signature verified; null until there is one.</summary>
    public SignedCheckpoint? Latest => _latest;

    /// <summary>Whether this replica signs, and if it refuses, why (the console raises its chain alert on it).</summary>
    public SignerStatus Status => _status;

    public string KeyId => keys.OwnKey.KeyId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        if (keys.OwnKey.Ephemeral)
        {
            logger.LogWarning("No Kavach:Integrity:CheckpointKey is configured: checkpoints are signed with key {KeyId}, made at start, " +
                "which dies with this process, and keys listed in the database are trusted. Configure a P-256 private key (PEM) " +
                "and pin its public key (Kavach:Integrity:PinnedKeys) in production.", keys.OwnKey.KeyId);
        }

        var keyListed = false;
        using var timer = new PeriodicTimer(_options.PollInterval, time);
        do
        {
            try
            {
                if (!keyListed)
                {
                    await store.AddKeyAsync(keys.OwnKey, stoppingToken);
                    keyListed = true;
                }

                await TurnAsync(stoppingToken);
            }
            catch (Exception e) when (DatabaseFailures.IsFailure(e))
            {
                logger.LogDebug(e, "Checkpointing skipped a turn: PostgreSQL did not answer");
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && WitnessErrors.Unavailable(e))
            {
                // Anchoring reads the witness: without it there is no trusted start, and nothing is signed until there is.
                logger.LogWarning(e, "Checkpointing skipped a turn: the witness did not answer");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task TurnAsync(CancellationToken cancellationToken)
    {
        keys.Listed(await store.ReadKeysAsync(cancellationToken));
        if (delivered.State.NeedsAnchor && delivered.Broken is null && await anchor.AnchorAsync(cancellationToken) is { } rewritten)
        {
            delivered.Break(rewritten);
        }

        var head = await store.ReadHeadAsync(cancellationToken);
        var newest = (await store.ReadCheckpointsAsync(head.StreamId, 0, long.MaxValue, 1, newestFirst: true, cancellationToken)).FirstOrDefault();
        if (_latest is { } followed && (newest is null || (newest.Epoch, newest.Sequence).CompareTo((followed.Epoch, followed.Sequence)) < 0))
        {
            // A restore takes the checkpoints of the history it replaced with it (a new epoch says so); a deletion does not.
            // Between the restore and the new epoch, the head is below the checkpoint: wait for the hub to begin the epoch.
            var current = followed.IsCurrentIn(await store.ReadEpochsAsync(cancellationToken));
            if (current && head.Sequence < followed.Sequence)
            {
                return;
            }

            if (current)
            {
                delivered.Break($"Checkpoint {followed.Epoch}:{followed.Sequence}, which this replica followed, is no longer stored: checkpoints were deleted.");
            }
            else
            {
                _latest = null;
                streams.AnnounceCheckpoint(null);
            }
        }

        if (newest is not null && !keys.Verifies(newest))
        {
            delivered.Break($"The newest stored checkpoint (#{newest.Sequence}, key {newest.KeyId}) does not verify with a trusted key: " +
                "it was forged, or signed with a key this deployment does not pin.");
        }

        if (delivered.Broken is { } reason)
        {
            Refuse(reason);
            return;
        }

        await FollowAsync(newest);
        if (delivered.Tip is not { } tip || tip.Sequence != head.Sequence || head.Hash is null)
        {
            return; // not caught up with the head yet (or nothing chained): next turn
        }

        if (!tip.Hash.AsSpan().SequenceEqual(head.Hash))
        {
            delivered.Break($"PostgreSQL's chain head #{head.Sequence} differs from the chain this replica delivered up to it: " +
                "events were changed and their hashes rewritten.");
            Refuse(delivered.Broken!);
            return;
        }

        if (newest is not null && delivered.HashAt(newest.Sequence) is { } deliveredThere && !deliveredThere.AsSpan().SequenceEqual(newest.Hash))
        {
            delivered.Break($"The stored checkpoint #{newest.Sequence} contradicts the chain this replica delivered there.");
            Refuse(delivered.Broken!);
            return;
        }

        _status = new SignerStatus(SignerState.Signing, null, _status.LastSigned);
        if (IsDue(head, newest) && await SignAsync(head, newest, cancellationToken) is { } signed)
        {
            _status = _status with { LastSigned = signed.ToView() };
            await FollowAsync(signed);
        }
    }

    private bool IsDue(ChainHead head, SignedCheckpoint? last) =>
        last is null
        || (head.Sequence != last.Sequence
            && (Math.Abs(head.Sequence - last.Sequence) >= _options.CheckpointEvery || time.GetUtcNow() - last.SignedAt >= _options.CheckpointInterval));

    /// <summary>The checkpoint this replica signed and stored; null when another replica stored one there, or after the same one, first.</summary>
    private async Task<SignedCheckpoint?> SignAsync(ChainHead head, SignedCheckpoint? previous, CancellationToken cancellationToken)
    {
        if (await tree.RootAtAsync(head.Sequence, cancellationToken) is not { } root)
        {
            return null; // the tree has not reached the head yet
        }

        var links = new CheckpointLinks(head.Sequence, root, previous?.Epoch ?? 0, previous?.Sequence ?? 0, previous?.Digest() ?? SignedCheckpoint.NoDigest);

        // PostgreSQL keeps microseconds: sign the time it will give back. The epoch is the stream's when it was signed (the
        // head may have been hashed in an earlier one, just after a restore: verifiers match checkpoints by sequence).
        var now = time.GetUtcNow();
        var signedAt = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        var signature = keys.OwnKey.Sign(SignedCheckpoint.Payload(head.StreamId, head.Epoch, head.Sequence, head.Hash, signedAt, links));
        var checkpoint = new SignedCheckpoint(head.StreamId, head.Epoch, head.Sequence, head.Hash!, signedAt, keys.OwnKey.KeyId, signature, links);
        if (!await store.AddCheckpointAsync(checkpoint, cancellationToken))
        {
            return null;
        }

        metrics.CheckpointSigned();
        return checkpoint;
    }

    private void Refuse(string reason)
    {
        if (_status.State != SignerState.Refusing)
        {
            logger.LogCritical("Refusing to sign checkpoints: {Reason} Run GET /api/kavach/events/verify, and see docs/operations.md " +
                "(\"The hash chain breaks\").", reason);
            metrics.SignerRefused();
            _status = new SignerStatus(SignerState.Refusing, reason, _status.LastSigned, time.GetUtcNow());
        }
    }

    private Task FollowAsync(SignedCheckpoint? newest)
    {
        if (newest is null || (_latest is { } known && (known.Epoch, known.Sequence).CompareTo((newest.Epoch, newest.Sequence)) >= 0)
            || !keys.Verifies(newest))
        {
            return Task.CompletedTask;
        }

        _latest = newest;
        streams.AnnounceCheckpoint(new CheckpointAnnouncement(newest.Epoch, newest.Sequence, SseFrames.Checkpoint(newest.ToView())));
        return Task.CompletedTask;
    }

    /// <summary>Whether a checkpoint verifies with a trusted key (verification and the checkpoints list use it).</summary>
    public bool Verifies(SignedCheckpoint checkpoint) => keys.Verifies(checkpoint);
}
