using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Kavach.StreamApi.Streaming;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity;

/// <summary>
/// On every replica: signs a checkpoint of the chain when enough was committed since the last one (any replica may;
/// the first to store it wins), and follows the newest checkpoint from PostgreSQL — its signature checked against the
/// listed keys — so that streams that asked for checkpoints announce it.
/// </summary>
public sealed class CheckpointService(
    ChainStore store,
    SchemaInitializer schema,
    OpenStreams streams,
    IOptions<IntegrityOptions> options,
    TimeProvider time,
    ILogger<CheckpointService> logger) : BackgroundService
{
    private readonly IntegrityOptions _options = options.Value;
    private readonly CheckpointKey _key = CheckpointKey.Create(options.Value.CheckpointKey);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _publicKeys = new(StringComparer.Ordinal);
    private volatile Checkpoint? _latest;

    /// <summary>The newest checkpoint whose signature verified; null until there is one.</summary>
    public Checkpoint? Latest => _latest;

    public string KeyId => _key.KeyId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.Ready.WaitAsync(stoppingToken);
        if (_key.Ephemeral)
        {
            logger.LogWarning("No Kavach:Integrity:CheckpointKey is configured: checkpoints are signed with key {KeyId}, made at start, " +
                "which dies with this process. Configure a P-256 private key (PEM) in production.", _key.KeyId);
        }

        var keyListed = false;
        using var timer = new PeriodicTimer(_options.PollInterval, time);
        do
        {
            try
            {
                if (!keyListed)
                {
                    await store.AddKeyAsync(_key, stoppingToken);
                    keyListed = true;
                }

                var head = await store.ReadHeadAsync(stoppingToken);
                var newest = await NewestAsync(head, stoppingToken);
                if (IsDue(head, newest))
                {
                    newest = await SignAsync(head, stoppingToken) ?? await NewestAsync(head, stoppingToken);
                }

                await FollowAsync(newest, stoppingToken);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogDebug(e, "Checkpointing skipped a turn: PostgreSQL did not answer");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<Checkpoint?> NewestAsync(ChainHead head, CancellationToken cancellationToken) =>
        (await store.ReadCheckpointsAsync(head.StreamId, 0, long.MaxValue, 1, newestFirst: true, cancellationToken)).FirstOrDefault();

    private bool IsDue(ChainHead head, Checkpoint? last) =>
        head.Hash is not null // something is chained
        && (last is null
            || last.Epoch != head.Epoch
            || (head.Sequence > last.Sequence
                && (head.Sequence - last.Sequence >= _options.CheckpointEvery || time.GetUtcNow() - last.SignedAt >= _options.CheckpointInterval)));

    /// <summary>The checkpoint this replica signed and stored; null when another replica stored one there first.</summary>
    private async Task<Checkpoint?> SignAsync(ChainHead head, CancellationToken cancellationToken)
    {
        // PostgreSQL keeps microseconds: sign the time it will give back.
        var now = time.GetUtcNow();
        var signedAt = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        var signature = _key.Sign(Checkpoint.Payload(head.StreamId, head.Epoch, head.Sequence, head.Hash, signedAt));
        var checkpoint = new Checkpoint(head.StreamId, head.Epoch, head.Sequence, head.Hash!, signedAt, _key.KeyId, signature);
        return await store.AddCheckpointAsync(checkpoint, cancellationToken) ? checkpoint : null;
    }

    private async Task FollowAsync(Checkpoint? newest, CancellationToken cancellationToken)
    {
        if (newest is null || (_latest is { } known && (known.Epoch, known.Sequence).CompareTo((newest.Epoch, newest.Sequence)) >= 0))
        {
            return;
        }

        if (!await VerifiesAsync(newest, cancellationToken))
        {
            logger.LogError("Checkpoint {Epoch}:{Sequence} does not verify with key {KeyId}: it was not signed by a listed key. " +
                "Not announced; run GET /api/kavach/events/verify.", newest.Epoch, newest.Sequence, newest.KeyId);
            return;
        }

        _latest = newest;
        streams.AnnounceCheckpoint();
    }

    public async Task<bool> VerifiesAsync(Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        if (!_publicKeys.TryGetValue(checkpoint.KeyId, out var pem))
        {
            foreach (var key in await store.ReadKeysAsync(cancellationToken))
            {
                // A listed key is trusted only if its id is its own hash: a row cannot lend its id to another key.
                if (IdMatches(key))
                {
                    _publicKeys[key.KeyId] = key.PublicKey;
                }
            }

            if (!_publicKeys.TryGetValue(checkpoint.KeyId, out pem))
            {
                return false;
            }
        }

        return CheckpointKey.Verify(pem, checkpoint.Payload(), checkpoint.Signature);
    }

    private static bool IdMatches(CheckpointKeyView key)
    {
        try
        {
            using var ecdsa = System.Security.Cryptography.ECDsa.Create();
            ecdsa.ImportFromPem(key.PublicKey);
            return CheckpointKey.IdOf(ecdsa.ExportSubjectPublicKeyInfo()) == key.KeyId;
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    public override void Dispose()
    {
        _key.Dispose();
        base.Dispose();
    }
}
