using System.Runtime.CompilerServices;
using Kavach.StreamApi.Options;
using Microsoft.Extensions.Options;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// The witness without dependencies: one JSON line per checkpoint in an append-only file. It protects against a
/// database writer who cannot reach the file; against the host's root only with <c>chattr +a</c> on it, and against
/// losing the host not at all. Every append and every read goes through the whole file: fine for development and
/// small single-host runs, not for years of checkpoints.
/// </summary>
public sealed class FileCheckpointWitness : ICheckpointWitness
{
    private readonly AppendOnlyFile _file;
    private readonly WitnessMetrics _metrics;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger<FileCheckpointWitness> _logger;

    public FileCheckpointWitness(WitnessMetrics metrics, IOptions<WitnessOptions> options, TimeProvider time, ILogger<FileCheckpointWitness> logger)
    {
        var path = options.Value.Path!;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{WitnessOptions.Section}:Path is '{path}', whose directory cannot be created: {e.Message}", e);
        }

        _file = new AppendOnlyFile(path);
        _metrics = metrics;
        _timeout = options.Value.Timeout;
        _time = time;
        _logger = logger;
    }

    public bool IsConfigured => true;

    public async Task AppendAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        SignedCheckpoint? contradicting = null;
        var appended = false;
        try
        {
            await _file.AppendUnderLockAsync(async () =>
            {
                // Under the lock: another replica may be recording this position right now.
                var at = (await EntriesAsync(cancellationToken))
                    .Where(c => c.StreamId == checkpoint.StreamId && c.Epoch == checkpoint.Epoch && c.Sequence == checkpoint.Sequence)
                    .ToList();
                if (at.Count > 0)
                {
                    contradicting = at.FirstOrDefault(c => !WitnessRecord.Same(c, checkpoint));
                    return null;
                }

                appended = true;
                return [.. WitnessRecord.Serialize(checkpoint), (byte)'\n'];
            }, _timeout, cancellationToken);
        }
        catch (IOException)
        {
            _metrics.Failed();
            throw;
        }

        if (appended)
        {
            _metrics.Recorded(_time.GetUtcNow() - checkpoint.SignedAt);
        }
        else if (contradicting is null)
        {
            _metrics.AlreadyRecorded();
        }
        else
        {
            _metrics.Contradicted();
            var contradiction = new WitnessContradictionException(checkpoint, contradicting);
            _logger.LogError("Witness contradiction at {Epoch}:{Sequence} in {Path}: {Detail}", checkpoint.Epoch, checkpoint.Sequence,
                _file.Path, contradiction.Message);
            throw contradiction;
        }
    }

    public async IAsyncEnumerable<SignedCheckpoint> ReadAsync(Guid streamId, long afterEpoch, long afterSequence,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Lines are in the order they were witnessed (OrderBy is stable: a position recorded twice keeps its lines' order).
        var entries = (await EntriesAsync(cancellationToken))
            .Where(c => c.StreamId == streamId && (c.Epoch, c.Sequence).CompareTo((afterEpoch, afterSequence)) > 0)
            .OrderBy(c => c.Epoch).ThenBy(c => c.Sequence);
        foreach (var entry in entries)
        {
            yield return entry;
        }
    }

    private async Task<List<SignedCheckpoint>> EntriesAsync(CancellationToken cancellationToken) =>
        [.. (await _file.ReadLinesAsync(cancellationToken)).Select(Parse).OfType<SignedCheckpoint>()];

    private SignedCheckpoint? Parse(byte[] line)
    {
        var entry = WitnessRecord.Parse(line);
        if (entry is null && line.Length > 0)
        {
            _logger.LogWarning("A line of the witness file {Path} is not a checkpoint; it was changed, or written by something else", _file.Path);
        }

        return entry;
    }
}
