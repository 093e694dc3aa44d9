using System.Diagnostics;
using System.Threading.Channels;
using Kavach.StreamApi.Diagnostics;
using Kavach.StreamApi.Events;
using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// Group commit. Concurrent emits on this replica queue here, and one writer commits whatever has queued as one
/// statement and one transaction, so they share the sequence lock's hold and the commit's fsync instead of waiting
/// for each other's. A caller is answered only after its group committed; its events stay all-or-nothing. While one
/// group commits the next gathers, so the busier the replica, the bigger (and cheaper per event) the commits. It is the
/// one that hands commits to fan-out (<see cref="ICommitObserver"/>), once per group and in sequence order — also those
/// of a commit whose outcome it had to look up (<see cref="AmbiguousCommitResolver"/>).
/// </summary>
public sealed class EventCommitter(ICommitStore store, ICommitObserver observer, StreamMetrics metrics, TimeProvider time,
    ILogger<EventCommitter> logger) : BackgroundService
{
    /// <summary>Most events gathered into one commit (a bigger emit goes alone).</summary>
    public const int MaxGroupEvents = 4096;

    private readonly AmbiguousCommitResolver _ambiguous = new(store, metrics, time, logger);

    private readonly Channel<PendingAppend> _pending = Channel.CreateUnbounded<PendingAppend>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    /// <summary>
    /// Queues the events for the next group commit; completes once they are committed (or failed). <paramref name="revokes"/>
    /// is the revocation they record, written in the same transaction.
    /// </summary>
    /// <exception cref="StreamRegressionException">The database is behind <paramref name="delivered"/>; nothing was stored.</exception>
    /// <exception cref="AmbiguousCommitException">COMMIT failed in flight and the database could not be asked whether it stored them.</exception>
    /// <exception cref="CommitNotStoredException">COMMIT failed in flight and the events were found not stored.</exception>
    public Task<AppendResult> AppendAsync(IReadOnlyList<ValidatedEvent> events, Emitter emitter, StreamPosition delivered,
        RevocationOrder? revokes = null)
    {
        var pending = new PendingAppend(new EmitBatch(events, emitter, revokes), delivered);
        if (!_pending.Writer.TryWrite(pending))
        {
            pending.Done.TrySetException(new ObjectDisposedException(nameof(EventCommitter), "The replica is shutting down."));
        }

        return pending.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = new List<PendingAppend>();
        PendingAppend? carried = null;
        // Not stoppingToken: emits in flight at shutdown are committed and answered; the queue ends when StopAsync completes it.
        while (carried is not null || await _pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            var events = 0;
            if (carried is not null)
            {
                group.Add(carried);
                events = carried.Batch.Events.Count;
                carried = null;
            }

            while (events < MaxGroupEvents && _pending.Reader.TryRead(out var next))
            {
                if (group.Count > 0 && events + next.Batch.Events.Count > MaxGroupEvents)
                {
                    carried = next;
                    break;
                }

                group.Add(next);
                events += next.Batch.Events.Count;
            }

            await CommitAsync(group);
            group.Clear();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task CommitAsync(List<PendingAppend> group, bool retried = false)
    {
        var delivered = group.Select(p => p.Delivered).MaxBy(p => (p.Epoch, p.Sequence));
        var now = Stopwatch.GetTimestamp();
        foreach (var pending in group)
        {
            metrics.QueuedForCommit(Stopwatch.GetElapsedTime(pending.Queued, now));
        }

        // One span for the group, linked to every emit it carries, so a trace shows which commit answered it.
        using var activity = StreamTracing.Source.StartActivity("kavach.stream.commit", ActivityKind.Internal, parentContext: default,
            links: group.Where(p => p.Caller != default).Select(p => new ActivityLink(p.Caller)));
        activity?.SetTag("kavach.commit.emits", group.Count);
        activity?.SetTag("kavach.commit.events", group.Sum(p => p.Batch.Events.Count));
        try
        {
            var (results, timing) = await store.AppendAsync([.. group.Select(p => p.Batch)], delivered, RevocationStore.DefaultKeepFor,
                CancellationToken.None);
            metrics.Committed(timing.Events, timing.Duration, timing.LockWait);
            activity?.SetTag("kavach.commit.lock_wait_ms", timing.LockWait.TotalMilliseconds);
            observer.Committed(results[0].Epoch, [.. results.SelectMany(r => r.Committed)]);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Done.TrySetResult(results[i]);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && !retried)
        {
            // Another replica committed one of these ids a moment ago: the retry finds it stored and answers with it.
            await CommitAsync(group, retried: true);
        }
        catch (PostgresException e) when (group.Count > 1 && DatabaseFailures.IsRefusedValue(e))
        {
            // A value PostgreSQL refused (validation should have stopped it): only its own emit may fail for it.
            logger.LogWarning(e, "PostgreSQL refused a value in a group of {Count} emits; committing them one by one", group.Count);
            foreach (var pending in group)
            {
                await CommitAsync([pending], retried);
            }
        }
        catch (AmbiguousCommitException ambiguous)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ambiguous.Message);
            await AnswerAmbiguousAsync(group, delivered.Epoch, ambiguous);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            foreach (var pending in group)
            {
                pending.Done.TrySetException(e);
            }
        }
    }

    /// <summary>Answers each emit as the commit did, once it is known; what was stored goes to fan-out like any commit.</summary>
    private async Task AnswerAmbiguousAsync(List<PendingAppend> group, long epoch, AmbiguousCommitException ambiguous)
    {
        var answers = await _ambiguous.ResolveAsync([.. group.Select(p => p.Batch)], epoch, ambiguous);
        var stored = answers.SelectMany(a => a.Result?.Committed ?? []).DistinctBy(e => e.Sequence).OrderBy(e => e.Sequence).ToList();
        if (stored.Count > 0)
        {
            observer.Committed(epoch, stored);
        }

        for (var i = 0; i < group.Count; i++)
        {
            if (answers[i].Failure is { } failure)
            {
                group[i].Done.TrySetException(failure);
            }
            else
            {
                group[i].Done.TrySetResult(answers[i].Result!);
            }
        }
    }

    private sealed record PendingAppend(EmitBatch Batch, StreamPosition Delivered)
    {
        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Queued { get; } = Stopwatch.GetTimestamp();

        public ActivityContext Caller { get; } = Activity.Current?.Context ?? default;
    }
}
