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

    private readonly ConcurrentDictionary<string, ExportProgress> _exports = new(StringComparer.Ordinal);

    public TimeProvider Time => time;

    public ExportProgress Start(string id, string format, DateTimeOffset rangeStart, DateTimeOffset rangeEnd)
    {
        Trim();
        var progress = new ExportProgress(id, format, rangeStart, rangeEnd, time.GetUtcNow());
        _exports[id] = progress;
        return progress;
    }

    public ExportProgress? Get(string id) => _exports.TryGetValue(id, out var progress) ? progress : null;

    private void Trim()
    {
        var now = time.GetUtcNow();
        foreach (var (id, progress) in _exports)
        {
            if (progress.FinishedAt is { } finished && now - finished > KeepFinished)
            {
                _exports.TryRemove(id, out _);
            }
        }

        foreach (var old in _exports.Values.OrderBy(p => p.State == ExportState.Running).ThenBy(p => p.StartedAt).Take(Math.Max(0, _exports.Count - MaxKept + 1)))
        {
            _exports.TryRemove(old.Id, out _);
        }
    }
}
