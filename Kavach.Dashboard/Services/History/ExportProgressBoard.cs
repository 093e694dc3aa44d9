using System.Collections.Concurrent;

namespace Kavach.Dashboard.Services.History;

/// <summary>
/// The exports of this console instance, by the id the page gave each, so the page that started a download can show its
/// progress. Bounded: the oldest finished ones go first, and a finished one is kept only a while.
/// </summary>
public sealed class ExportProgressBoard(TimeProvider time)
{
    public const int MaxKept = 64;
    public static readonly TimeSpan KeepFinished = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, (long Order, ExportProgress Progress)> _exports = new(StringComparer.Ordinal);
    private long _started;

    public TimeProvider Time => time;

    public ExportProgress Start(string id, string format, DateTimeOffset rangeStart, DateTimeOffset rangeEnd)
    {
        Trim();
        var progress = new ExportProgress(id, format, rangeStart, rangeEnd, time.GetUtcNow());
        _exports[id] = (Interlocked.Increment(ref _started), progress);
        return progress;
    }

    public ExportProgress? Get(string id) => _exports.TryGetValue(id, out var entry) ? entry.Progress : null;

    private void Trim()
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in _exports)
        {
            if (entry.Progress.FinishedAt is { } finished && now - finished > KeepFinished)
            {
                _exports.TryRemove(id, out _);
            }
        }

        var oldest = _exports.Values.OrderBy(e => e.Progress.State == ExportState.Running).ThenBy(e => e.Order)
            .Take(Math.Max(0, _exports.Count - MaxKept + 1)).ToList();
        foreach (var old in oldest)
        {
            _exports.TryRemove(old.Progress.Id, out _);
        }
    }
}
