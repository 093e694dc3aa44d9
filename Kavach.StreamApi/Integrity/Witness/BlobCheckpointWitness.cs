using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// The witness in Azure Blob Storage (Azurite locally): one blob per checkpoint, created only where none exists
/// (<c>If-None-Match: *</c>), never overwritten or deleted by Kavach. On Azure the container's version-level
/// immutability policy keeps every version of every blob for the retention period whoever asks; Azurite enforces
/// nothing (docs/integrity.md, "The witness"). Reads list every version, so an overwrite or a deletion of the current
/// version still shows what was first recorded — and the overwrite as a second entry at the same position.
/// </summary>
public sealed class BlobCheckpointWitness(BlobContainerClient container, WitnessMetrics metrics, IOptions<WitnessOptions> options,
    TimeProvider time, ILogger<BlobCheckpointWitness> logger) : ICheckpointWitness
{
    private const int CachedRecords = 100_000;

    // Versions and current blobs read before, by name, version and ETag: a record changes only with its ETag.
    private readonly ConcurrentDictionary<(string Name, string? Version, ETag ETag), SignedCheckpoint> _read = new();
    private volatile bool _containerReady;

    public bool IsConfigured => true;

    public async Task AppendAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var blob = container.GetBlobClient(WitnessRecord.BlobName(checkpoint.StreamId, checkpoint.Epoch, checkpoint.Sequence));
        var record = BinaryData.FromBytes(WitnessRecord.Serialize(checkpoint));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            await CreateAsync(blob, record, timeout.Token);
            metrics.Recorded(time.GetUtcNow() - checkpoint.SignedAt);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobAlreadyExists || e.Status == 412)
        {
            var recorded = WitnessRecord.Parse((await blob.DownloadContentAsync(timeout.Token)).Value.Content.ToMemory().Span);
            if (recorded is not null && WitnessRecord.Same(recorded, checkpoint))
            {
                metrics.AlreadyRecorded();
                return;
            }

            metrics.Contradicted();
            var contradiction = new WitnessContradictionException(checkpoint, recorded);
            logger.LogError("Witness contradiction at {Epoch}:{Sequence} in blob {Blob}: {Detail}", checkpoint.Epoch, checkpoint.Sequence,
                blob.Uri.AbsolutePath, contradiction.Message);
            throw contradiction;
        }
        catch (RequestFailedException)
        {
            metrics.Failed();
            throw;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.Failed();
            throw new TimeoutException($"The witness did not answer within {options.Value.Timeout} ({WitnessOptions.Section}:Timeout).");
        }
    }

    public async IAsyncEnumerable<SignedCheckpoint> ReadAsync(Guid streamId, long afterEpoch, long afterSequence,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var epoch in await FoldersAsync(WitnessRecord.StreamPrefix(streamId), cancellationToken))
        {
            if (epoch < afterEpoch)
            {
                continue;
            }

            var after = epoch == afterEpoch ? afterSequence : -1;
            foreach (var bucket in await FoldersAsync(WitnessRecord.EpochPrefix(streamId, epoch), cancellationToken))
            {
                if (bucket < WitnessRecord.Bucket(after + 1))
                {
                    continue;
                }

                var prefix = WitnessRecord.EpochPrefix(streamId, epoch) + bucket.ToString("D13", System.Globalization.CultureInfo.InvariantCulture) + "/";
                await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, States = BlobStates.Version }, cancellationToken))
                {
                    if (WitnessRecord.NumberOf(item.Name) is { } sequence && sequence > after)
                    {
                        yield return await RecordAsync(streamId, epoch, sequence, item, cancellationToken);
                    }
                }
            }
        }
    }

    /// <summary>The numbers the folders under a prefix are named by, in order.</summary>
    private async Task<List<long>> FoldersAsync(string prefix, CancellationToken cancellationToken)
    {
        var folders = new List<long>();
        try
        {
            await foreach (var item in container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Prefix = prefix, Delimiter = "/" }, cancellationToken))
            {
                if (item.IsPrefix && WitnessRecord.NumberOf(item.Prefix) is { } number)
                {
                    folders.Add(number);
                }
            }
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // Nothing witnessed yet: the container is made with the first record.
        }

        folders.Sort();
        return folders;
    }

    private async Task<SignedCheckpoint> RecordAsync(Guid streamId, long epoch, long sequence, BlobItem item, CancellationToken cancellationToken)
    {
        var key = (item.Name, item.VersionId, item.Properties.ETag ?? default);
        if (_read.TryGetValue(key, out var known))
        {
            return known;
        }

        var blob = container.GetBlobClient(item.Name);
        if (item.VersionId is { } version)
        {
            blob = blob.WithVersion(version);
        }

        var content = (await blob.DownloadContentAsync(cancellationToken)).Value.Content;
        // What is not a checkpoint of this place still stands at it: an empty statement that contradicts any checkpoint.
        var checkpoint = WitnessRecord.Parse(content.ToMemory().Span) is { } parsed && parsed.StreamId == streamId
            && parsed.Epoch == epoch && parsed.Sequence == sequence
                ? parsed
                : new SignedCheckpoint(streamId, epoch, sequence, [], DateTimeOffset.UnixEpoch, "unreadable", []);
        if (_read.Count >= CachedRecords)
        {
            _read.Clear();
        }

        _read[key] = checkpoint;
        return checkpoint;
    }

    private async Task CreateAsync(BlobClient blob, BinaryData record, CancellationToken cancellationToken)
    {
        var upload = new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        };
        if (!_containerReady)
        {
            try
            {
                await blob.UploadAsync(record, upload, cancellationToken);
                _containerReady = true;
                return;
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
            {
                // Azurite starts empty; on Azure infra/ creates the container (with its policy) and the identity may not.
                await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            }
        }

        await blob.UploadAsync(record, upload, cancellationToken);
        _containerReady = true;
    }
}
